"""`inv rotate`: plan a secret's rotation and run it under the environment's lock.

One secret at a time, the four steps of rotation_steps.py run through the
pipeline engine, journaled like a release: a run that was killed is picked
up with `--resume` (finish it) or `--abort` (every target back on current).
The journal's release_id field names the secret being rotated.
"""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.rotation_values import Rotation
from shipyard.run_result import RunResult
from shipyard.secrets.manifest import Manifest, SecretSpec
from shipyard.steps import Context, Plan

PLAN = "rotate"


def plan_rotation(config: Config, spec: SecretSpec) -> Plan:
    """The four steps of rotating `spec`, as data: nothing runs yet."""
    from shipyard.rotation_steps import steps

    if not spec.rotatable:
        parent = spec.derived_from or "the secret that makes it"
        raise ShipyardError(
            f"{spec.name} is derived from {parent}: rotate that one "
            f"(`inv rotate --secret={parent} --env={config.env}`)"
        )
    check_readers(config, spec)
    return Plan(PLAN, config.env, steps(spec.readers, spec.name),
                release_id=spec.name)


def check_readers(config: Config, spec: SecretSpec) -> None:
    """Refuse a Django key whose fallbacks the backend would not be given."""
    if spec.fallbacks and spec.fallbacks not in config.backend.secrets.values():
        raise ShipyardError(
            f"shipyard.toml: [secrets.{spec.name}] fallbacks {spec.fallbacks} is "
            "not in [backend.secrets]: add SECRET_KEY_FALLBACKS = "
            f'"{spec.fallbacks}" there so every deploy gets the old key'
        )


def due_secrets(manifest: Manifest, store: Any) -> list[SecretSpec]:
    """The rotatable secrets whose rotation period has passed, in manifest order."""
    from shipyard.stamps import utc_now

    listed = {info.name: info for info in store.list(tuple(manifest.names()))}
    now = utc_now()
    due = []
    for spec in manifest.secrets.values():
        info = listed.get(spec.name)
        rotated = (info.rotated_at or info.created) if info else None
        if info is not None and spec.due(rotated, now):
            due.append(spec)
    return due


def make_rotation(
    config: Config, manifest: Manifest, spec: SecretSpec,
    value: Secret | None = None, *, resuming: bool = False,
) -> Context:
    """A pipeline context carrying the rotation: store, targets, value."""
    from shipyard.secrets.store import open_versioned_store
    from shipyard.secrets.targets import Targets

    store = open_versioned_store(config["SECRET_STORE"], config.project, config.env)
    if spec.kind == "external" and value is None and not resuming:
        raise ShipyardError(
            f"{spec.name} is external: pass its new value on stdin with "
            f"`inv rotate --env={config.env} --secret={spec.name} --from-stdin`"
        )
    rotation = Rotation(config, store, manifest, spec, Targets(config, store),
                        value, resuming)
    return Context(env=config.env, data={"config": config, "rotation": rotation})


def execute(config: Config, plan: Plan, ctx: Context, *,
            journal: Any = None) -> RunResult:
    """Run (or, given the cut-off run's `journal`, resume) `plan` under the lock."""
    from shipyard import pipeline
    from shipyard.journal import Journal
    from shipyard.release import _show_event, refuse_if_cut_off

    with _locked(config, plan, ctx, picking_up=journal is not None):
        try:
            if journal is None:
                refuse_if_cut_off(config)
                _announce(config, plan)
                journal = Journal.new(PLAN, config.env, root=config.root)
                return pipeline.run(plan, journal=journal, ctx=ctx, on_event=_show_event)
            _announce(config, plan, run_id=journal.run_id, verb="resuming")
            return pipeline.resume(plan, journal, ctx, on_event=_show_event)
        finally:
            ctx.data["rotation"].targets.close()


def abort(config: Config, plan: Plan, ctx: Context, journal: Any) -> RunResult:
    """Undo a cut-off rotation: its finished steps newest first.

    Undoing create_pending puts every target back on current whatever the
    later steps did; when create_pending itself was cut off, the same is
    done here, since no finished step would.
    """
    from shipyard import pipeline
    from shipyard.release import _show_event
    from shipyard.rotation_restore import restore
    from shipyard.rotation_steps import facts_for

    rotation = ctx.data["rotation"]
    with _locked(config, plan, ctx, picking_up=True):
        _announce(config, plan, run_id=journal.run_id, verb="aborting")
        try:
            result = pipeline.abort(plan, journal, ctx, on_event=_show_event)
            if "create_pending" in journal.cut_off_steps():
                restore(rotation, facts_for(rotation, redeployed=False))
                for spec in _members(rotation):
                    rotation.store.cancel_rotation(spec.name)
            if result.ok or result.outcome == "rolled_back":
                result.attention = []
        finally:
            rotation.targets.close()
    return result


def unfinished_rotation(config: Config) -> Any:
    """The journal of this environment's cut-off rotation, or a one-line error."""
    from shipyard.journal import Journal

    journal = Journal.latest_unfinished(config.env, root=config.root)
    if journal is None:
        raise ShipyardError(f"no cut-off rotation of {config.env} to pick up")
    if journal.header.get("plan") != PLAN:
        raise ShipyardError(
            f"the cut-off run of {config.env} is a {journal.header.get('plan')}, "
            f"not a rotation: pick it up with `inv {journal.header.get('plan')} "
            f"--env={config.env} --resume` or `--abort`"
        )
    return journal


def _members(rotation: Rotation) -> list[SecretSpec]:
    from shipyard.rotation_values import members

    return members(rotation)


def _locked(config: Config, plan: Plan, ctx: Context, *, picking_up: bool) -> Any:
    """The environment's lock (the same one releases take), held for the run."""
    from shipyard.lock import held
    from shipyard.release import take_over_dead_lock
    from shipyard.shared_state import lock_store

    locks = lock_store(config, ctx.data["rotation"].store)
    take_over_dead_lock(locks, config.env, picking_up=picking_up)
    return held(locks, config.env, f"{PLAN} {plan.release_id}",
                ttl_seconds=config["DEPLOY_TIMEOUT"] * 3 + 600)


def _announce(config: Config, plan: Plan, *, run_id: str | None = None,
              verb: str = "") -> None:
    """The start line, printed once the lock is held and nothing stands in the way."""
    picked = f"{verb} run {run_id}: " if run_id else ""
    console.say(f"{picked}{'picking up' if run_id else 'starting'} the rotation of "
                f"{plan.release_id} in {config.env}")
