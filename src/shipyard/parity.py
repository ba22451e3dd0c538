"""`check_parity`: local env, env files, the manifest and live settings, key by key.

The report lists keys missing from, extra in, or different at each source,
and the runtime versions on both sides; secret values are compared by keyed
fingerprint only. `release` can run it in preflight and stop on drift.
"""

from __future__ import annotations

from typing import Any

from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.parity_compare import Rules, compare
from shipyard.parity_fingerprint import Fingerprinter
from shipyard.parity_model import Difference, ParityReport, Side, Unchecked
from shipyard.parity_sources import (
    against_entries,
    manifest_names,
    secrets_in_env_file,
    store_entries,
    target_entries,
)
from shipyard.redaction import Secret
from shipyard.stack import Stack, load_stack

__all__ = ["DRIFT_EXIT_CODE", "ParityDrift", "ParityReport", "check_parity"]

DRIFT_EXIT_CODE = 4


class ParityDrift(ShipyardError):
    """The environment drifted from its configuration (or the other side)."""

    exit_code = DRIFT_EXIT_CODE


def check_parity(
    config: Config,
    *,
    against: str | None = "local",
    live: bool = True,
    store: Any = None,
    runtime: bool = True,
) -> ParityReport:
    """Compare environment `config.env` with `against` and, when `live`, the providers.

    `against` is "local" (`.env`, else `env/local.env`), another environment's
    name, or None to skip that side (CI, release preflight). `store` defaults
    to the environment's secret store. Nothing is changed anywhere.
    """
    from shipyard.secrets.store import open_store

    stack = load_stack(config)
    store = store or open_store(config["SECRET_STORE"], config.project, config.env)
    marks = Fingerprinter(store)
    report = ParityReport(env=config.env, against=against)
    report.ignored = list(stack.ignore)

    local_url = _against(stack, against, report, marks, store)
    _files_and_store(stack, store, report, marks)
    if live:
        _live(stack, store, report, marks)
    else:
        report.notes.append("live settings were not read (--no-live)")
    if runtime:
        from shipyard.parity_runtime import runtime_checks

        report.runtime = runtime_checks(stack, store, local_url, live=live)
    if not marks.stable:
        report.notes.append(
            "fingerprints use a key made for this run: compare them within this "
            "report only (set SHIPYARD_FINGERPRINT_KEY to keep them stable)"
        )
    return report


def require_no_drift(report: ParityReport, *, for_release: bool = False) -> None:
    """Raise ParityDrift (exit code 4) naming the drift, when there is any.

    With `for_release`, drift the release itself undoes (the Koyeb service's
    env) is left out, so a release that brings the service back in line is
    not stopped by the very difference it fixes.
    """
    found = [
        item
        for item in report.drift
        if not (for_release and getattr(item, "release_fixes", False))
    ]
    if found:
        keys = sorted({getattr(i, "key", getattr(i, "name", "")) for i in found})
        shown = ", ".join(keys[:5]) + (" …" if len(keys) > 5 else "")
        head = f"parity of {report.env}: {len(found)} drift finding(s) ({shown})"
        if report.unchecked:
            head += "; not checked: " + ", ".join(u.source for u in report.unchecked)
        raise ParityDrift(
            f"{head}: see `inv parity --env={report.env}` for what to change"
        )


def _against(
    stack: Stack,
    against: str | None,
    report: ParityReport,
    marks: Fingerprinter,
    store: Any,
) -> Secret | str | None:
    """Compare the environment's keys with the other side; its DATABASE_URL."""
    if not against:
        return None
    other = None
    if against != "local":
        from shipyard import config as config_module

        other = load_stack(config_module.load(against, stack.root))
    side = against_entries(stack, against, other)
    if isinstance(side, Unchecked):
        report.unchecked.append(side)
        return None
    label, found = side
    report.sources.append(label)
    env_file = f"env/{stack.env}.env"
    rules = Rules(
        values="note",
        missing_hint=f"add {{key}} to {label}: {stack.env} has it",
        extra_hint=f"{label} sets {{key}} but {stack.env} does not: add it to "
        f"{env_file} (or to the manifest when secret), or remove it",
        different_hint=f"values differ between {label} and {stack.env} (expected "
        "between environments)",
    )
    report.differences += compare(
        target_entries(stack),
        found,
        found_where=label,
        mark=marks.of,
        rules=rules,
        expected_where=env_file,
    )
    if against != "local":
        return None
    report.differences += _shared_secrets(stack, found, store, marks)
    database = found.get("DATABASE_URL")
    return database.value if database is not None else None


def _shared_secrets(
    stack: Stack, found: dict[str, Any], store: Any, marks: Fingerprinter
) -> list[Difference]:
    """Local values equal to the environment's secrets: a leak waiting to happen."""
    shared = []
    for key, item in sorted(stack.manifest.app_keys().items()):
        local = found.get(key)
        if local is None or not local.value:
            continue
        try:
            stored = store.get(item.name)
        except ShipyardError:
            continue
        if stored is not None and marks.of(local.value) == marks.of(stored):
            mark = marks.of(stored)
            shared.append(
                Difference(
                    key,
                    "shared",
                    Side(f"secret store ({item.name})", mark),
                    Side(local.where, mark),
                    hint=f"the local {key} is {stack.env}'s secret: give local a value "
                    f"of its own, and rotate {item.name} if the file was shared",
                )
            )
    return shared


def _files_and_store(
    stack: Stack, store: Any, report: ParityReport, marks: Fingerprinter
) -> None:
    """Secrets written into env files, and manifest secrets missing from the store."""
    report.sources.append(f"env/{stack.env}.env")
    for key, item in secrets_in_env_file(stack).items():
        report.differences.append(
            Difference(
                key,
                "extra",
                Side("secrets manifest", "secret: kept in the store"),
                Side(item.where, marks.of(item.value) if item.value else "set"),
                hint=f"remove {key} from {item.where.split(':')[0]}: secrets come from "
                "the secret store",
            )
        )
    side = store_entries(stack, store)
    if isinstance(side, Unchecked):
        report.unchecked.append(side)
        return
    label, found = side
    report.sources.append(label)
    rules = Rules(
        extra="skip",
        values="skip",
        missing_hint=f"set it with `inv secrets.set {{key}} --env={stack.env}`",
    )
    report.differences += compare(
        manifest_names(stack), found, found_where=label, mark=marks.of, rules=rules
    )


def _live(stack: Stack, store: Any, report: ParityReport, marks: Fingerprinter) -> None:
    """Read each provider and compare; an unreadable one is reported, not fatal."""
    from shipyard import parity_live, parity_targets

    readers = (
        (
            parity_live.koyeb,
            lambda live: parity_targets.compare_koyeb(stack, live, marks.of),
        ),
        (
            parity_live.netlify,
            lambda live: parity_targets.compare_netlify(stack, live, store, marks.of),
        ),
        (
            parity_live.github,
            lambda live: parity_targets.compare_github(stack, live, marks.of),
        ),
    )
    for read, compare_with in readers:
        live = read(stack, store)
        if isinstance(live, Unchecked):
            report.unchecked.append(live)
            continue
        report.sources.append(live.where)
        report.differences += compare_with(live)
