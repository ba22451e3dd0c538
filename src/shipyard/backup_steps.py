"""Database steps of releases and rollbacks: the pre-release backup, and the
data restore that `inv rollback --with-data` asks for explicitly."""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.steps import Context, Facts, Step


def _parts(ctx: Context) -> tuple[Any, Any, Any]:
    from shipyard.shared_state import s3_for

    config, store = ctx.data["config"], ctx.data["store"]
    return config, store, s3_for(config, store)


def _tools(config: Any) -> Any:
    from shipyard.providers.postgres import configured_tools

    return configured_tools(config)


def take_backup(ctx: Context, why: str) -> Facts:
    """Dump the environment's database into its bucket; the backup's id and checksum."""
    from shipyard.backups import create_backup
    from shipyard.secrets.store import require

    config, store, s3 = _parts(ctx)
    inputs = ctx.data["inputs"]
    release = {"id": inputs.release_id, "git_sha": inputs.git_sha,
               "image_digest": (ctx.facts.get("push") or {}).get("digest"),
               "why": why}
    backup = create_backup(require(store, "DATABASE_URL", config.env), s3,
                           config["S3_BUCKET"], config.env, release=release,
                           sse=config["BACKUP_SSE"] or None, tools=_tools(config))
    return {"backup_id": backup.id, "sha256": backup.sha256, "size": backup.size}


def backup_step(config: Any) -> Step:
    """The pre-release backup, taken after the push and before the deploy."""
    if not config["S3_BUCKET"]:
        raise ShipyardError(
            f"no S3 bucket to back up {config.env} into: set S3_BUCKET in "
            f"env/{config.env}.env, or pass --no-backup"
        )
    return Step(
        "backup", f"dump the database into s3://{config['S3_BUCKET']}/backups/"
        f"{config.env}/ before the deploy",
        lambda ctx: take_backup(ctx, "before release"),
        why_no_undo="a backup is kept for `inv rollback --with-data`; retention "
        "prunes it")


def data_backup_to_restore(config: Any, target: Any) -> str:
    """The backup taken just before the first release after `target`: the data
    as it was while `target` served."""
    from shipyard.shared_state import ledger

    later = [r for r in ledger(config).list(config.env)
             if r.started_at > target.started_at and r.backup_id]
    if not later:
        raise ShipyardError(
            f"no release after {target.id} took a backup, so there is no data of "
            "its time to restore: roll back without --with-data, or restore a "
            "backup by hand with `inv backup.restore`"
        )
    return min(later, key=lambda r: r.started_at).backup_id


def data_steps(config: Any, backup_id: str) -> list[Step]:
    """Back up today's data, then restore `backup_id`; undone by restoring the first."""
    def safety(ctx: Context) -> Facts:
        return take_backup(ctx, f"before restoring {backup_id}")

    def restore(ctx: Context) -> Facts:
        from shipyard.backup_restore import restore_backup
        from shipyard.secrets.store import require

        config, store, s3 = _parts(ctx)
        restore_backup(s3, config["S3_BUCKET"], config.env, backup_id,
                       require(store, "DATABASE_URL", config.env),
                       tools=_tools(config))
        return {"restored": backup_id}

    def undo_restore(ctx: Context, facts: Facts) -> None:
        from shipyard.backup_restore import restore_backup
        from shipyard.secrets.store import require

        config, store, s3 = _parts(ctx)
        saved = ctx.fact("safety_backup", "backup_id")
        console.warn(f"putting today's data back from backup {saved}")
        restore_backup(s3, config["S3_BUCKET"], config.env, saved,
                       require(store, "DATABASE_URL", config.env),
                       tools=_tools(config))

    return [
        Step("safety_backup", "back up today's data first, so the restore can be "
             "undone", safety,
             why_no_undo="a backup is kept; it is how the restore is undone"),
        Step("restore_data", f"restore backup {backup_id} over the {config.env} "
             "database", restore, undo=undo_restore),
    ]
