"""Putting every target of a rotation back on the store's current values.

This is the one compensation of the rotation protocol: whatever step failed
or was cut off, every target is brought to what the store calls current
(readable targets are compared first and only changed when they differ),
the rotated database role gets back the password its URL expects, and a
backend that was redeployed during the rotation is redeployed again so it
reads the current values. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.rotation_values import (
    Rotation,
    all_targets,
    current,
    login_for,
    members,
    wanted_password,
)
from shipyard.secrets.db_roles import can_login, set_password, url_with
from shipyard.secrets.fingerprint import same


def restore(rotation: Rotation, facts: dict[str, Any]) -> None:
    """Every target back on current; `facts` are those of the create step."""
    reopen_finished(rotation, facts.get("fingerprints") or {})
    for member, target in all_targets(rotation):
        value = current(rotation, member.name)
        targets = rotation.targets
        if targets.readable(target):
            held = targets.read(target)
            fingerprint = rotation.store.fingerprint
            if held is not None and same(fingerprint(held), fingerprint(value)):
                continue
        targets.set(target, value)
        console.say(f"{member.name}: {target.describe()} back on the current value")
    role = facts.get("role")
    if role:
        restore_role(rotation, role)
    started = facts.get("started")
    if started and "backend" in rotation.spec.readers:
        redeploy_if_changed(rotation, started)


def reopen_finished(rotation: Rotation, marks: dict[str, str]) -> None:
    """Undo the store's part of a finish step that failed or was cut off.

    Members are finished one at a time; one whose new value (fingerprint in
    `marks`) already became current goes back to pending, so the store calls
    current the value every target is about to be given back.
    """
    for member in members(rotation):
        mark = marks.get(member.name)
        if mark and rotation.store.reopen_rotation(member.name, mark):
            console.say(f"{member.name}: the value before this rotation is "
                        "current again")


def restore_role(rotation: Rotation, role: str) -> None:
    """Give `role` the password the current URL expects (or its previous one)."""
    wanted = wanted_password(rotation, role)
    if wanted is None:
        console.warn(f"role {role} has no earlier password in the store; it keeps "
                     "the one this rotation gave it, unused by the app")
        return
    url = url_with(current(rotation, rotation.spec.url_secret), role, wanted,
                   f"{role} login")
    if can_login(url) is None:
        return
    problems = []
    for login in login_for(rotation, role):
        if can_login(login) is not None:
            continue
        try:
            set_password(login, role, wanted)
        except ShipyardError as problem:
            problems.append(str(problem))
            continue
        console.say(f"role {role} back on its password")
        return
    raise ShipyardError(
        f"could not give role {role} back its password: no known login works"
        + (f" ({problems[0]})" if problems else "")
        + "; set it by hand (ALTER ROLE) to the store's current value"
    )


def redeploy_if_changed(rotation: Rotation, started: str) -> None:
    """Redeploy the backend if a deployment began after `started` (ISO time)."""
    from shipyard.providers.koyeb_models import timestamp
    from shipyard.rotation_deploy import backend_service, redeploy

    client = rotation.targets.koyeb()
    service = backend_service(rotation.config, client)
    if service is None:
        return
    latest = client.latest_deployment(service.id)
    if latest is None or timestamp(latest.created_at) < timestamp(started):
        return
    console.say("redeploying the backend so it reads the current values again")
    redeploy(rotation.config, client, service)
