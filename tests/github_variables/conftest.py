"""The parity fixture project and its real stand-ins, for the Actions variables tests.

The GitHub stand-in runs as its own process, as `inv sandbox.up` runs it;
each test gets its own repository in it (see tests/parity/conftest.py).
"""

from tests.parity.conftest import (  # noqa: F401
    _own_environment,
    github,
    koyeb,
    live,
    netlify,
    project,
)
