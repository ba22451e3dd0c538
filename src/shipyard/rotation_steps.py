"""The four steps of a rotation, as pipeline steps: create, set, test, finish.

    create_pending  the store keeps a pending value beside current
    set_pending     every target gets it (GitHub, Netlify, the database role,
                    Koyeb), then the backend is redeployed to read it
    test_pending    a real login with it, the backend's health check, and
                    every readable target holding exactly it
    finish          pending becomes current, current becomes previous

Until `finish`, the current value keeps working: each undo (and a failing
`set_pending` itself) puts every target back on it (rotation_restore.py).
Every step may run again after a kill, so `--resume` is safe.

Test hooks, for the tests of the steps nothing real can be made to fail or
die in on cue: SHIPYARD_FAIL_AT=<point> makes the step fail there,
SHIPYARD_KILL_AT=<point> makes the process SIGKILL itself there (as a power
cut would: no undo, no last journal record). A point is a step's name (as
it starts), `create_pending:<secret>` (right after that secret's pending
value was kept) or `finish:<secret>` (right after it moved to current).
"""

from __future__ import annotations

import os
import signal

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.rotation_restore import restore
from shipyard.rotation_values import (
    Rotation,
    all_targets,
    login_for,
    members,
    pending_values,
    rotated_role,
    rotation_of,
)
from shipyard.secrets.db_roles import can_login, set_password
from shipyard.secrets.fingerprint import same
from shipyard.secrets.manifest import Target
from shipyard.stamps import iso, utc_now
from shipyard.steps import Context, Facts, Step

FAIL_AT = "SHIPYARD_FAIL_AT"
KILL_AT = "SHIPYARD_KILL_AT"


def steps(readers: tuple[str, ...], name: str) -> list[Step]:
    """The four steps of rotating `name`, described for a plan."""
    redeploy = " and redeploy the backend" if "backend" in readers else ""
    health = ", the backend's health check" if "backend" in readers else ""
    return [
        Step("create_pending", f"keep a new value of {name} as pending in the store",
             create_pending, undo=undo_create),
        Step("set_pending", f"set the pending value on every target{redeploy}",
             set_pending, undo=undo_set),
        Step("test_pending", f"check every target holds it{health}", test_pending,
             changes_world=False),
        Step("finish", "pending becomes current, current becomes previous", finish,
             why_no_undo="the last step: nothing after it can fail, and a run cut "
             "off here is finished by --resume"),
    ]


def _injected(point: str) -> None:
    if os.environ.get(KILL_AT) == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(FAIL_AT) == point:
        raise ShipyardError(f"injected failure at {point} ({FAIL_AT})")


def create_pending(ctx: Context) -> Facts:
    """Keep the pending values; a leftover pending value is put right first."""
    _injected("create_pending")
    rotation = rotation_of(ctx)
    spec = rotation.spec
    _clear_leftovers(rotation)
    started = iso(utc_now())
    values = pending_values(rotation)
    if spec.fallbacks and rotation.store.get(spec.fallbacks) is None:
        # A first rotation: the fallbacks start as the current key itself,
        # which Django may list again harmlessly, so there is a value to move.
        rotation.store.set(spec.fallbacks, values[spec.fallbacks])
    marks = {}
    try:
        for member in members(rotation):
            marks[member.name] = rotation.store.begin_rotation(member.name,
                                                               values[member.name])
            _injected(f"create_pending:{member.name}")
    except Exception:
        for member in members(rotation):
            rotation.store.cancel_rotation(member.name)
        raise
    console.done(f"pending value of {spec.name} kept in the store "
                 f"({marks[spec.name]})")
    facts = {"secret": spec.name, "started": started, "fingerprints": marks}
    if spec.kind == "database_password":
        facts["role"] = rotated_role(rotation)
    return facts


def _clear_leftovers(rotation: Rotation) -> None:
    """Drop pending values this run cannot use, putting targets back if needed.

    A new run finding one (an earlier run whose undo failed) puts every
    target back on current first. A resumed run keeps a complete set (the
    secret's own pending value is begun last); a partial one never reached
    any target, so dropping it is enough.
    """
    store, spec = rotation.store, rotation.spec
    waiting = [m.name for m in members(rotation)
               if store.get_version(m.name, "pending") is not None]
    if not waiting or (rotation.resuming and spec.name in waiting):
        return
    if not rotation.resuming:
        console.warn(f"{spec.name} has a pending value from an earlier rotation "
                     "that did not finish: putting every target back on current")
        restore(rotation, facts_for(rotation))
    for name in waiting:
        store.cancel_rotation(name)


def undo_create(ctx: Context, facts: Facts) -> None:
    """Targets back on current (again, to be sure), then drop the pending values."""
    rotation = rotation_of(ctx)
    restore(rotation, facts or facts_for(rotation))
    for member in members(rotation):
        rotation.store.cancel_rotation(member.name)
    console.say(f"pending value of {rotation.spec.name} dropped; current kept")


def set_pending(ctx: Context) -> Facts:
    """Deliver the pending values; on any failure, put every target back first."""
    _injected("set_pending")
    rotation = rotation_of(ctx)
    created = ctx.facts.get("create_pending", {})
    try:
        deployment = _deliver(ctx)
    except BaseException:
        console.warn("setting the pending value failed: putting every target back")
        try:
            restore(rotation, created)
        except Exception as problem:  # noqa: BLE001 - the step's own error matters
            console.warn(f"not every target is back yet ({problem}); undoing "
                         "create_pending tries again")
        raise
    return {"deployment_id": deployment,
            "targets": [t.describe() for _, t in all_targets(rotation)]}


def _deliver(ctx: Context) -> str | None:
    """GitHub and Netlify first, then the database role, then Koyeb, then redeploy.

    Koyeb comes last among the targets because the backend reads it: the
    role already accepts the new password when the backend is told it.
    """
    from shipyard.rotation_deploy import backend_service, redeploy

    rotation = rotation_of(ctx)
    role = ctx.facts.get("create_pending", {}).get("role")
    pairs = all_targets(rotation)
    for member, target in [p for p in pairs if p[1].kind != "koyeb"]:
        _set_target(ctx, member.name, target)
    if role:
        _set_role(ctx, role)
    for member, target in [p for p in pairs if p[1].kind == "koyeb"]:
        _set_target(ctx, member.name, target)
    if "frontend" in rotation.spec.readers:
        console.warn("the frontend reads Netlify's values when it is built: "
                     "release it to use the new value")
    if "backend" not in rotation.spec.readers:
        return None
    client = rotation.targets.koyeb()
    service = backend_service(rotation.config, client)
    if service is None:
        console.warn("the backend has no Koyeb service yet; nothing to redeploy")
        return None
    return redeploy(rotation.config, client, service)


def _set_target(ctx: Context, name: str, target: Target) -> None:
    rotation = rotation_of(ctx)
    rotation.targets.set(target, rotation.store.get_version(name, "pending"))
    console.done(f"{name}: pending value set on {target.describe()}")


def _set_role(ctx: Context, role: str) -> None:
    """ALTER ROLE to the pending password, unless it already logs in with it."""
    from shipyard.secrets.db_roles import url_with

    rotation = rotation_of(ctx)
    spec = rotation.spec
    pending = rotation.store.get_version(spec.name, "pending")
    url = rotation.store.get(spec.url_secret)
    if can_login(url_with(url, role, pending, f"{role} login")) is None:
        return
    for login in login_for(rotation, role):
        if can_login(login) is None:
            set_password(login, role, pending)
            console.done(f"role {role}: pending password set")
            return
    raise ShipyardError(
        f"no known login can change the password of role {role}: name an "
        f"admin_url secret in shipyard.toml [secrets.{spec.name}]"
    )


def undo_set(ctx: Context, facts: Facts) -> None:
    """Every target back on the current value; the backend redeployed if it was."""
    rotation = rotation_of(ctx)
    restore(rotation, ctx.facts.get("create_pending") or facts_for(rotation))


def test_pending(ctx: Context) -> Facts:
    """A real login, the health check, and every readable target holding pending."""
    from shipyard.rotation_deploy import check_health

    _injected("test_pending")
    rotation = rotation_of(ctx)
    store = rotation.store
    checked = []
    for member, target in all_targets(rotation):
        pending = store.get_version(member.name, "pending")
        if not rotation.targets.readable(target):
            if not rotation.targets.present(target):
                raise ShipyardError(f"{target.describe()} has no {member.name}")
        else:
            held = rotation.targets.read(target)
            if held is None or not same(store.fingerprint(held),
                                        store.fingerprint(pending)):
                raise ShipyardError(f"{target.describe()} does not hold the pending "
                                    f"value of {member.name}")
        checked.append(target.describe())
    spec = rotation.spec
    if spec.url_secret:
        problem = can_login(store.get_version(spec.url_secret, "pending"))
        if problem:
            raise ShipyardError(f"login with the pending {spec.url_secret} failed: "
                                f"{problem}")
        console.done(f"logged in to the database with the pending {spec.url_secret}")
        checked.append("database login")
    if "backend" in spec.readers:
        url = check_health(rotation.config, rotation.targets.koyeb())
        console.done(f"health check: GET {url} → 200")
        checked.append("backend health")
    return {"checked": checked}


def finish(ctx: Context) -> Facts:
    """Pending becomes current for every member, the secret itself last."""
    _injected("finish")
    rotation = rotation_of(ctx)
    marks = ctx.facts.get("create_pending", {}).get("fingerprints", {})
    for member in members(rotation):
        rotation.store.finish_rotation(member.name, marks.get(member.name))
        _injected(f"finish:{member.name}")
    console.done(f"{rotation.spec.name} rotated: the new value is current")
    return {"rotated": [member.name for member in members(rotation)]}


def facts_for(rotation: Rotation, *, redeployed: bool = True) -> Facts:
    """Create-step facts rebuilt from the store, when the journal has none.

    With `redeployed`, any deployment counts as one this rotation made, so
    restoring redeploys the backend: safe when it cannot be known.
    """
    facts: Facts = {"started": "1970-01-01T00:00:00+00:00"} if redeployed else {}
    if rotation.spec.kind == "database_password":
        facts["role"] = rotated_role(rotation)
    return facts
