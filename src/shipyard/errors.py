"""The one exception type Shipyard raises for problems a person can fix."""


class ShipyardError(Exception):
    """A problem with input, configuration or an outside service.

    The message is one line saying what is wrong and what to do; the task
    layer prints it without a traceback and exits non-zero.
    """

    exit_code = 1


class ConfigError(ShipyardError):
    """shipyard.toml, an env file or the process environment is wrong."""

    exit_code = 2


class LockHeld(ShipyardError):
    """Another run holds the environment's lock."""

    exit_code = 3
