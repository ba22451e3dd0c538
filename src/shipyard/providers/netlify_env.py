"""Site environment variables on Netlify, through the account-level env endpoints.

Netlify keeps a site's variables under its account (team), scoped to the site
by a `site_id` query; each variable holds one value per deploy context.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from shipyard.redaction import Secret


class EnvMixin:
    """get_env / set_env for NetlifyClient; needs NetlifyAPI's `_call`."""

    _call: Any

    def get_env(
        self, account_id: str, site_id: str, context: str = "production"
    ) -> dict[str, str]:
        """The site's variables as deploys in `context` see them: key → value.

        A value set for exactly `context` wins over one set for "all"; a
        variable with neither is left out. Values are plain strings, so a
        caller comparing secrets should wrap them in Secret.
        """
        variables = self._call(
            "GET",
            f"accounts/{account_id}/env",
            f"environment variables of site {site_id}",
            params={"site_id": site_id},
        )
        found: dict[str, str] = {}
        for variable in variables or []:
            value = value_for(variable, context)
            if value is not None:
                found[variable["key"]] = value
        return found

    def set_env(
        self,
        account_id: str,
        site_id: str,
        key: str,
        value: Secret | str,
        context: str = "all",
    ) -> None:
        """Set one variable of the site for `context`, creating it when new."""
        plain = value.reveal() if isinstance(value, Secret) else value
        path = f"accounts/{account_id}/env/{quote(key, safe='')}"
        what = f"environment variable {key} of site {site_id}"
        params = {"site_id": site_id}

        existing = self._call("GET", path, what, params=params, missing_ok=True)
        if existing is None:
            self._call(
                "POST",
                f"accounts/{account_id}/env",
                what,
                params=params,
                json=[{"key": key, "values": [{"context": context, "value": plain}]}],
            )
            return
        self._call(
            "PATCH",
            path,
            what,
            params=params,
            json={"context": context, "value": plain},
            idempotent=True,
        )


def value_for(variable: dict[str, Any], context: str) -> str | None:
    """The value of a Netlify envVar that deploys in `context` get, if any."""
    values = {
        item.get("context"): item.get("value") for item in variable.get("values") or []
    }
    if context in values:
        return values[context]
    return values.get("all")
