"""What each provider should hold for an environment, compared with what it holds.

Koyeb should run the backend's `[backend] env` keys with the ladder's values
and the manifest's Koyeb secrets as secret references; Netlify should hold
the frontend's keys and the manifest's Netlify secrets; GitHub the secrets
the manifest sends there and every secret referenced by a workflow that
releases this environment (or releases none). A referenced secret the
manifest does not send to GitHub is named with the manifest change that
lets `inv secrets.push` deliver it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shipyard.envfiles import EnvValue
from shipyard.errors import ShipyardError
from shipyard.lint_model import origin
from shipyard.lint_secrets import github_gap_fix
from shipyard.parity_compare import Marker, Rules, compare
from shipyard.parity_live import Live
from shipyard.parity_model import Difference, Entry, Side
from shipyard.parity_sources import entry
from shipyard.stack import Stack
from shipyard.workflows import secret_references

API_URL_KEY = "NEXT_PUBLIC_API_URL"


def koyeb_expected(stack: Stack) -> dict[str, Entry]:
    """The env the next release would give the Koyeb service."""
    from shipyard.providers.koyeb_definition import koyeb_secret_name

    config = stack.config
    expected = {
        key: entry(stack, key, EnvValue(config.app_env[key], stack.where(key)))
        for key in config.backend.env_keys
        if key in config.app_env
    }
    for item in stack.manifest.for_target("koyeb"):
        for key in item.app_keys:
            ref = koyeb_secret_name(item.name)
            expected[key] = Entry(key, "; ".join(item.where), ref=ref)
    return expected


def netlify_expected(stack: Stack, store: Any) -> dict[str, Entry]:
    """The variables the frontend's site should hold, secrets from the store."""
    expected = {
        key: entry(stack, key, stack.values[key])
        for key in stack.frontend_env_keys()
        if key in stack.values
    }
    for item in stack.manifest.for_target("netlify"):
        value = _stored(store, item.name)
        for key in item.app_keys:
            expected[key] = Entry(key, f"secret store ({item.name})", value)
    return expected


def github_expected(stack: Stack) -> dict[str, Entry]:
    """Secret names GitHub must hold: the manifest's and the references of the
    workflows that release this environment."""
    expected = {
        item.name: Entry(item.name, "; ".join(item.where))
        for item in stack.manifest.for_target("github")
    }
    for reference in secret_references(stack.root, stack.env):
        expected.setdefault(reference.name, Entry(reference.name, reference.where))
    return expected


def compare_koyeb(stack: Stack, live: Live, mark: Marker) -> list[Difference]:
    """Drift between the next release's env and the latest deployment's."""
    release = f"`inv release --env={stack.env}`"
    rules = Rules(
        missing_hint=f"the running deployment lacks {{key}}: deploy again ({release})",
        extra_hint="{key} was set in Koyeb by hand and the next release drops it: "
        "add it to [backend] env and the env file, or to the manifest",
        different_hint="Koyeb runs another {key} than the config says: fix the "
        f"config, or deploy again ({release})",
    )
    found = _kept(stack, live.entries)
    expected = _kept(stack, koyeb_expected(stack))
    differences = [
        replace(difference, release_fixes=True)
        for difference in compare(
            expected, found, found_where=live.where, mark=mark, rules=rules
        )
    ]
    for key, item in sorted(found.items()):
        if item.ref is not None and item.ref not in live.secret_names:
            differences.append(
                Difference(
                    key,
                    "missing",
                    Side(live.where, f"secret ref {item.ref}"),
                    Side("Koyeb secrets", "absent"),
                    hint=f"create Koyeb secret {item.ref} "
                    f"(`inv secrets.push --env={stack.env}`)",
                )
            )
    return differences


def compare_netlify(
    stack: Stack, live: Live, store: Any, mark: Marker
) -> list[Difference]:
    """Drift between the site's variables and the frontend's config and secrets.

    Shipyard builds the frontend itself, so a NEXT_PUBLIC_* key the site lacks
    is only a note; one the site holds with another value is drift, and so is
    a NEXT_PUBLIC_API_URL that points at another backend.
    """
    found = _kept(stack, live.entries)
    expected = _kept(stack, netlify_expected(stack, store))
    api = found.get(API_URL_KEY)
    backend = stack.backend_url()
    if api is not None and backend is not None and isinstance(api.value, str):
        same = origin(api.value) == origin(backend.value)
        expected[API_URL_KEY] = Entry(
            API_URL_KEY, backend.where, api.value if same else backend.value
        )
    rules = Rules(
        optional=frozenset(stack.frontend_env_keys()),
        missing_hint="the site lacks {key}: set it on the site "
        f"(`inv secrets.push --env={stack.env}` for secrets)",
        extra_hint="{key} is set on the site but nowhere in the config: add it to "
        "[frontend] env and the env file, or delete it on the site",
        different_hint="the site holds another {key} than the config: set it again",
    )
    return compare(expected, found, found_where=live.where, mark=mark, rules=rules)


def compare_github(stack: Stack, live: Live, mark: Marker) -> list[Difference]:
    """Secret names the manifest and workflows need but GitHub lacks, and extras;
    then the `[github] variables` missing, extra or changed."""
    rules = Rules(
        extra="note",
        values="skip",
        missing_hint="add secret {key} to GitHub Actions "
        f"(`inv secrets.push --env={stack.env}`)",
        extra_hint="GitHub holds {key}, which neither the manifest nor a workflow "
        "names",
    )
    from shipyard.parity_variables import compare_variables

    expected = _kept(stack, github_expected(stack))
    differences = compare(
        expected,
        _kept(stack, live.entries),
        found_where=live.where,
        mark=mark,
        rules=rules,
    )
    pushed = {item.name for item in stack.manifest.for_target("github")}
    differences = [
        replace(d, hint=github_gap_fix(stack, d.key))
        if d.kind == "missing" and d.key not in pushed
        else d
        for d in differences
    ]
    variables_where = f"GitHub {stack.github_repository()} variables"
    return differences + compare_variables(stack, live.variables, variables_where, mark)


def _kept(stack: Stack, entries: dict[str, Entry]) -> dict[str, Entry]:
    return {key: item for key, item in entries.items() if not stack.ignored(key)}


def _stored(store: Any, name: str) -> Any:
    try:
        return store.get(name)
    except ShipyardError:
        return None
