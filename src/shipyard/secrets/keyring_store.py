"""Versioned secrets in the OS keyring: current, previous and pending per secret.

Keyring service `shipyard:<project>:<env>` holds, per secret NAME:

    NAME@v<n>    one stored value each (a fresh n for every new value)
    NAME@meta    JSON: which entry is current, previous, pending; created,
                 rotated_at and a keyed fingerprint per version
    @index       JSON: the names of the secrets, so they can be listed

and service `shipyard:<project>` holds `@fingerprint-key`, the per-project
key of the fingerprints. Every change follows one order, so a crash at any
point leaves the current value readable:

    1. write the new value to a fresh entry, never to one NAME@meta points at;
    2. add NAME to @index when it is new;
    3. write NAME@meta: the one atomic switch to the new state; it lists the
       entries it no longer uses as `retired`;
    4. delete the retired entries;
    5. write NAME@meta again without them.

A crash before 3 leaves the old metadata pointing at untouched entries (the
next attempt reuses the fresh entry's number and overwrites it); a crash
after 3 leaves the new state whole, and the next change of NAME finishes
steps 4-5. Deleting NAME commits a metadata entry with no versions (all of
them retired) first, then removes the entries, the metadata and the index
line. Changes are not locked against each other: the pipeline's
environment lock keeps two runs from rotating the same environment at once.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets import fingerprint as fingerprints
from shipyard.secrets.keyring_backend import KeyringEntries, usable_backend
from shipyard.secrets.secret_info import SecretInfo, Version, VersionInfo
from shipyard.secrets.versions import (
    Plan,
    SecretRecord,
    adopted,
    check_name,
    check_version,
    entry_name,
    info,
    plan_begin,
    plan_cancel,
    plan_delete,
    plan_finish,
    plan_reopen,
    plan_set,
)

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

INDEX = "@index"
FINGERPRINT_KEY = "@fingerprint-key"


def service_name(project: str, env: str) -> str:
    """The keyring service of one project's environment."""
    return f"shipyard:{project}:{env}"


def meta_name(name: str) -> str:
    """The keyring user name of a secret's metadata entry."""
    return f"{name}@meta"


class KeyringStore:
    """Secrets of one project and environment in the OS keyring, with versions.

    `backend` defaults to the backend keyring chooses; an unusable one (no
    keyring at all, a plaintext file) is refused on first use.
    """

    def __init__(
        self, project: str, env: str, *, backend: KeyringBackend | None = None
    ) -> None:
        self.project = project
        self.env = env
        self.service = service_name(project, env)
        self._backend = backend
        self._chosen: KeyringBackend | None = None

    def get(self, name: str) -> Secret | None:
        """The current value of `name`, or None when it has none."""
        return self.get_version(name, "current")

    def get_version(self, name: str, version: Version) -> Secret | None:
        """One version of `name` (current, previous or pending), or None."""
        check_name(name)
        check_version(version)
        record = self._record(name)
        if record is None:
            if version != "current":
                return None
            value = self._entries().read(name)
            return Secret(value, name) if value else None
        stored = record.versions.get(version)
        if stored is None:
            return None
        value = self._entries().read(stored.entry)
        if value is None:
            raise ShipyardError(
                f"keyring entry {stored.entry} of {self.service}, holding the "
                f"{version} value of {name}, is gone: set {name} again"
            )
        return Secret(value, name)

    def set(self, name: str, value: Secret) -> None:
        """Store a new value of `name`: it becomes current, current becomes previous.

        Setting the value `name` already has changes nothing.
        """
        check_name(name)
        _check_value(name, value)
        record = self._current_record(name)
        plan = plan_set(record, name, value, self.fingerprint(value))
        if plan is not None:
            self._commit(name, plan)

    def begin_rotation(self, name: str, pending: Secret) -> str:
        """Keep `pending` beside the current value until the rotation ends.

        Returns the pending value's fingerprint, for the rotation's journal.
        Beginning again with the same pending value does nothing, so a resumed
        rotation may call this twice.
        """
        check_name(name)
        _check_value(name, pending)
        record = self._current_record(name)
        mark = self.fingerprint(pending)
        plan = plan_begin(record, name, pending, mark)
        if plan is not None:
            self._commit(name, plan)
        return mark

    def finish_rotation(self, name: str, fingerprint: str | None = None) -> None:
        """Pending becomes current, current becomes previous, the old previous goes.

        With `fingerprint` (what begin_rotation returned), finishing a rotation
        that already finished does nothing, so a resumed rotation may call
        this twice.
        """
        check_name(name)
        plan = plan_finish(self._current_record(name), name, fingerprint)
        if plan is not None:
            self._commit(name, plan)

    def reopen_rotation(self, name: str, fingerprint: str) -> bool:
        """Undo the finish of the rotation whose new value has `fingerprint`.

        The value before it is current again and the new one pending, for
        cancel_rotation to drop; False when that value is not current.
        """
        check_name(name)
        plan = plan_reopen(self._current_record(name), name, fingerprint)
        if plan is None:
            return False
        self._commit(name, plan)
        return True

    def cancel_rotation(self, name: str) -> bool:
        """Drop the pending value, keeping current; False when nothing was pending."""
        check_name(name)
        record = self._current_record(name)
        plan = plan_cancel(record)
        if plan is None:
            if record is not None:
                self._entries().delete(entry_name(name, record.next_generation))
            return False
        self._commit(name, plan)
        return True

    def delete(self, name: str) -> bool:
        """Remove every version of `name`; False when there was nothing to remove."""
        check_name(name)
        record = self._record(name)
        if record is None:
            return self._entries().delete(name)
        plan = plan_delete(record)
        self._entries().write(meta_name(name), _dump(plan.record))
        self._sweep(plan.record)
        return True

    def list(self, names: tuple[str, ...] = ()) -> builtins.list[SecretInfo]:
        """Every secret Shipyard keeps here, plus those of `names` found unversioned.

        Shows versions, ages and fingerprints; never a value.
        """
        found = []
        for name in sorted({*self._index(), *map(check_name, names)}):
            record = self._record(name)
            if record is not None:
                if record.versions:
                    found.append(info(record))
                continue
            if name in names:
                value = self._entries().read(name)
                if value:
                    current = VersionInfo(None, self.fingerprint(Secret(value, name)))
                    found.append(
                        SecretInfo(name, None, None, {"current": current}, False)
                    )
        return found

    def fingerprint(self, value: Secret | str) -> str:
        """The keyed fingerprint of `value`, comparable with other targets' values."""
        return fingerprints.compute(self.fingerprint_key(), value)

    def fingerprint_key(self) -> Secret:
        """The project's fingerprint key, made on first use.

        CI gets the same fingerprints when this is copied into its
        SHIPYARD_FINGERPRINT_KEY secret.
        """
        project = KeyringEntries(f"shipyard:{self.project}", self._entries().backend)
        stored = project.read(FINGERPRINT_KEY)
        if stored:
            return Secret(stored, "fingerprint key")
        key = fingerprints.new_key()
        project.write(FINGERPRINT_KEY, key.reveal())
        return key

    def _entries(self) -> KeyringEntries:
        if self._chosen is None:
            self._chosen = usable_backend(self._backend)
        return KeyringEntries(self.service, self._chosen)

    def _record(self, name: str) -> SecretRecord | None:
        raw = self._entries().read(meta_name(name))
        if raw is None:
            return None
        try:
            return SecretRecord.from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError):
            raise ShipyardError(
                f"keyring entry {meta_name(name)} of {self.service} is damaged: "
                f"delete it and set {name} again"
            ) from None

    def _current_record(self, name: str) -> SecretRecord | None:
        """The record of `name` before a change, tidied of any interrupted one."""
        record = self._record(name)
        if record is not None and record.retired:
            record = self._sweep(record)
        if record is None:
            legacy = self._entries().read(name)
            if legacy:
                return adopted(name, name, self.fingerprint(legacy))
        return record

    def _commit(self, name: str, plan: Plan) -> None:
        """Carry out `plan` in the crash-safe order of this module's docstring."""
        entries = self._entries()
        if plan.entry is not None and plan.value is not None:
            entries.write(plan.entry, plan.value.reveal())
        self._add_to_index(name)
        entries.write(meta_name(name), _dump(plan.record))
        self._sweep(plan.record)

    def _sweep(self, record: SecretRecord) -> SecretRecord | None:
        """Delete the retired entries of `record`; the record that remains."""
        if record.versions and not record.retired:
            return record
        entries = self._entries()
        for entry in record.retired:
            entries.delete(entry)
        if record.versions:
            tidy = replace(record, retired=())
            entries.write(meta_name(record.name), _dump(tidy))
            return tidy
        entries.delete(meta_name(record.name))
        self._remove_from_index(record.name)
        return None

    def _index(self) -> builtins.list[str]:
        raw = self._entries().read(INDEX)
        if not raw:
            return []
        try:
            names = json.loads(raw)["names"]
        except (ValueError, KeyError, TypeError):
            raise ShipyardError(
                f"keyring entry {INDEX} of {self.service} is damaged: delete it; "
                "secrets set afterwards are listed again"
            ) from None
        return [name for name in names if isinstance(name, str)]

    def _add_to_index(self, name: str) -> None:
        names = self._index()
        if name not in names:
            self._entries().write(INDEX, json.dumps({"names": sorted({*names, name})}))

    def _remove_from_index(self, name: str) -> None:
        names = self._index()
        if name in names:
            names.remove(name)
            self._entries().write(INDEX, json.dumps({"names": names}))


def _dump(record: SecretRecord) -> str:
    return json.dumps(record.to_json(), separators=(",", ":"))


def _check_value(name: str, value: Secret) -> None:
    if not isinstance(value, Secret) or not value:
        raise ShipyardError(f"secret {name} needs a non-empty value")
