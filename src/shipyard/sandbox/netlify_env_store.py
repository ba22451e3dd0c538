"""Environment variables in the Netlify stand-in, kept per account and site.

Each variable is stored as the spec's envVar (key, scopes, values with one
value per deploy context); a variable set with a `site_id` belongs to that
site only, as in Netlify.
"""

from __future__ import annotations

import uuid
from typing import Any

from shipyard.sandbox.netlify_state import Record, Store, iso

ALL_SCOPES = ["builds", "functions", "runtime", "post-processing"]
_ACCOUNT_LEVEL = "-"


class EnvError(Exception):
    """A request the env endpoints refuse, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class EnvStore:
    """The env endpoints' operations on the model."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _table(self, data: Record, site_id: str | None) -> dict[str, Record]:
        account = data["env"].setdefault(data["account"]["id"], {})
        return account.setdefault(site_id or _ACCOUNT_LEVEL, {})

    def variables(self, site_id: str | None, context: str | None) -> list[Record]:
        """The variables of the site (or account), optionally only one context's."""
        with self._store.lock:
            variables = list(self._table(self._store.data, site_id).values())
        if context:
            variables = [
                {
                    **v,
                    "values": [
                        x for x in v["values"] if x["context"] in (context, "all")
                    ],
                }
                for v in variables
            ]
        return sorted(variables, key=lambda v: v["key"])

    def get(self, site_id: str | None, key: str) -> Record:
        with self._store.lock:
            variable = self._table(self._store.data, site_id).get(key)
        if variable is None:
            raise EnvError(404, f"Environment variable {key} not found")
        return variable

    def create(
        self, site_id: str | None, items: list[Record], user: Record
    ) -> list[Record]:
        """New variables; a key that exists already is refused as a whole."""
        with self._store.edit() as data:
            table = self._table(data, site_id)
            for item in items:
                if not item.get("key"):
                    raise EnvError(400, "Each environment variable needs a key")
                if item["key"] in table:
                    raise EnvError(
                        400, f"Environment variable {item['key']} already exists"
                    )
            created = [self._record(item, user) for item in items]
            for variable in created:
                table[variable["key"]] = variable
            return created

    def replace(
        self, site_id: str | None, key: str, body: Record, user: Record
    ) -> Record:
        """Replace a variable's values and scopes (and rename it when asked)."""
        with self._store.edit() as data:
            table = self._table(data, site_id)
            if key not in table:
                raise EnvError(404, f"Environment variable {key} not found")
            variable = self._record({"key": key, **body}, user)
            del table[key]
            table[variable["key"]] = variable
            return variable

    def set_value(
        self, site_id: str | None, key: str, body: Record, user: Record
    ) -> Record:
        """Set the value for one context of an existing variable."""
        context = body.get("context") or "all"
        with self._store.edit() as data:
            variable = self._table(data, site_id).get(key)
            if variable is None:
                raise EnvError(404, f"Environment variable {key} not found")
            values = [
                v
                for v in variable["values"]
                if (v["context"], v.get("context_parameter"))
                != (context, body.get("context_parameter"))
            ]
            values.append(_value({**body, "context": context}))
            variable["values"] = values
            variable["updated_at"] = iso()
            variable["updated_by"] = _user(user)
            return variable

    def delete(self, site_id: str | None, key: str) -> None:
        with self._store.edit() as data:
            if self._table(data, site_id).pop(key, None) is None:
                raise EnvError(404, f"Environment variable {key} not found")

    def delete_value(self, site_id: str | None, key: str, value_id: str) -> None:
        with self._store.edit() as data:
            variable = self._table(data, site_id).get(key)
            kept = [
                v for v in (variable or {}).get("values", []) if v["id"] != value_id
            ]
            if variable is None or len(kept) == len(variable["values"]):
                raise EnvError(404, f"Value {value_id} of {key} not found")
            variable["values"] = kept

    def _record(self, item: Record, user: Record) -> Record:
        return {
            "key": item["key"],
            "scopes": list(item.get("scopes") or ALL_SCOPES),
            "values": [_value(value) for value in item.get("values") or []],
            "is_secret": bool(item.get("is_secret")),
            "updated_at": iso(),
            "updated_by": _user(user),
        }


def _value(body: dict[str, Any]) -> Record:
    value: Record = {
        "id": str(uuid.uuid4()),
        "value": str(body.get("value", "")),
        "context": body.get("context") or "all",
    }
    if body.get("context_parameter"):
        value["context_parameter"] = body["context_parameter"]
    return value


def _user(user: Record) -> Record:
    return {"id": user["id"], "full_name": "Sandbox", "email": user["email"]}
