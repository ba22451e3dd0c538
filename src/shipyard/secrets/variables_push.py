"""`inv secrets.push` and `secrets.check` for the Actions variables of `[github]`.

Values are not secret, so the plan and the problems show them. A push reads
the repository's variables once and sets only those missing or holding
another value; a dry run reads nothing and lists what would be set.
"""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.secrets.variables import Variable, load_variables


def configured(env: Any) -> list[Variable]:
    """The environment's variables, as shipyard.toml `[github] variables` names them."""
    from shipyard.stack import read_document

    return load_variables(env.config, read_document(env.config.root))


def push_variables(env: Any, targets: Any, *, dry_run: bool) -> list[str]:
    """Create or update each variable whose value GitHub lacks; what was done."""
    wanted = configured(env)
    if not wanted:
        return []
    if dry_run:
        return [f"{v.key} → {v.describe()} = {v.value!r}" for v in wanted]
    client = targets.github()
    held = {found.name: found.value for found in client.list_variables()}
    done = []
    for variable in wanted:
        where = f"{variable.key} → {variable.describe()}"
        if held.get(variable.name) == variable.value:
            done.append(f"{where} (unchanged)")
            continue
        created = client.set_variable(variable.name, variable.value)
        verb = "created" if created else "updated"
        console.done(f"{verb} {where} = {variable.value!r}")
        done.append(where)
    return done


def check_variables(env: Any, targets: Any) -> list[str]:
    """A problem per variable GitHub lacks or holds with another value."""
    wanted = configured(env)
    if not wanted:
        return []
    held = {found.name: found.value for found in targets.github().list_variables()}
    problems = []
    for variable in wanted:
        have = held.get(variable.name)
        if have is None:
            problems.append(f"{variable.key}: missing at {variable.describe()}")
        elif have != variable.value:
            problems.append(
                f"{variable.key}: {variable.describe()} holds {have!r}, "
                f"{variable.where} says {variable.value!r}"
            )
    return problems
