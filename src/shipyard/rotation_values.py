"""What one rotation changes: the secrets it moves together and their new values.

Rotating a secret may move more than one stored secret: a database password
carries the URL the app reads, a Django key carries its fallbacks (the old
key, so sessions signed with it stay valid). Everything here reads the store
and computes; nothing changes the world.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets import generators
from shipyard.secrets.db_roles import url_user, url_with
from shipyard.secrets.manifest import Manifest, SecretSpec, Target
from shipyard.steps import Context


@dataclass
class Rotation:
    """What a rotation run works on, kept in the pipeline context's data."""

    config: Any
    store: Any
    manifest: Manifest
    spec: SecretSpec
    targets: Any
    value: Secret | None = None
    resuming: bool = False


def rotation_of(ctx: Context) -> Rotation:
    return ctx.data["rotation"]


def members(rotation: Rotation) -> list[SecretSpec]:
    """The stored secrets this rotation moves: the companions first, then the secret.

    Companions are finished first, so the secret's own pending value is the
    last thing to go; its presence tells a resumed run there is work left.
    """
    spec = rotation.spec
    return [rotation.manifest.get(name) for name in spec.companions] + [spec]


def all_targets(rotation: Rotation) -> list[tuple[SecretSpec, Target]]:
    """Every (secret, target) pair the rotation delivers to."""
    return [(member, target) for member in members(rotation)
            for target in member.targets]


def rotated_role(rotation: Rotation) -> str:
    """The PostgreSQL role that gets the new password.

    With strategy "single", the secret's role. With "alternating", whichever
    of the two roles the app's current URL does not log in as, so the
    running app keeps its working login throughout.
    """
    spec = rotation.spec
    if spec.strategy == "single":
        return spec.role
    active = url_user(current(rotation, spec.url_secret))
    first, second = spec.roles
    return second if active == first else first


def current(rotation: Rotation, name: str) -> Secret:
    """The current value of `name`, or a one-line error saying how to set it."""
    value = rotation.store.get(name)
    if value is None:
        raise ShipyardError(
            f"secret {name} has no current value in {rotation.config.env}: set it "
            f"with `inv secrets.set {name} --env={rotation.config.env}` first"
        )
    return value


def pending_values(rotation: Rotation) -> dict[str, Secret]:
    """The pending value of every member, computed once and kept by the store.

    A value already pending (a resumed run) is reused; the companions are
    derived from the secret's pending value, so they come out the same.
    """
    spec = rotation.spec
    primary = rotation.store.get_version(spec.name, "pending")
    if primary is None:
        primary = new_value(rotation)
    values = {spec.name: primary}
    if spec.url_secret:
        role = rotated_role(rotation)
        url = current(rotation, spec.url_secret)
        values[spec.url_secret] = url_with(url, role, primary, spec.url_secret)
    if spec.fallbacks:
        values[spec.fallbacks] = Secret(
            current(rotation, spec.name).reveal(), spec.fallbacks
        )
    return values


def new_value(rotation: Rotation) -> Secret:
    """A fresh value for the secret, by its kind, or the one a person brought."""
    spec = rotation.spec
    if rotation.value is not None:
        return Secret(rotation.value.reveal(), spec.name)
    if spec.kind == "generated":
        return generators.generated(spec.name, spec.length, spec.alphabet)
    if spec.kind == "django_secret_key":
        return generators.django_secret_key(spec.name)
    if spec.kind == "database_password":
        return generators.database_password(spec.name, spec.length)
    raise ShipyardError(
        f"secret {spec.name} is external: bring its new value with "
        f"`inv rotate --env={rotation.config.env} --secret={spec.name} --from-stdin`"
    )


def login_for(rotation: Rotation, role: str) -> list[Secret]:
    """URLs that may change `role`'s password, best first.

    An admin URL (`admin_url`) when the manifest names one; else the role
    itself, with each password it may have now: the store's pending, current
    and previous values of the secret.
    """
    spec = rotation.spec
    if spec.admin_url:
        return [current(rotation, spec.admin_url)]
    url = current(rotation, spec.url_secret)
    found = []
    for version in ("current", "previous", "pending"):
        password = rotation.store.get_version(spec.name, version)
        if password is not None:
            found.append(url_with(url, role, password, f"{role} login"))
    return found


def wanted_password(rotation: Rotation, role: str) -> Secret | None:
    """The password `role` must have when the rotation is undone (or finished).

    The role the app's current URL logs in as must match that URL; the other
    role of an alternating pair goes back to the store's previous value,
    which is what it had before this rotation began.
    """
    from urllib.parse import unquote, urlsplit

    url = current(rotation, rotation.spec.url_secret)
    if url_user(url) == role:
        embedded = urlsplit(url.reveal()).password
        return Secret(unquote(embedded), "database password") if embedded else None
    return rotation.store.get_version(rotation.spec.name, "previous")
