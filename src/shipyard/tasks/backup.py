"""`inv backup` and `backup.list/restore/verify/prune`: PostgreSQL dumps in S3."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import (
    DRY_RUN_HELP,
    ENV_HELP,
    JSON_HELP,
    guarded,
    load_config,
    refuse_empty,
)


def _open(env: str):  # type: ignore[no-untyped-def]
    from shipyard.secrets.store import open_store, require
    from shipyard.shared_state import s3_for

    config = load_config(env)
    store = open_store(config["SECRET_STORE"], config.project, env)
    return config, store, s3_for(config, store), lambda name: require(store, name, env)


def _tools(config):  # type: ignore[no-untyped-def]
    from shipyard.providers.postgres import configured_tools

    return configured_tools(config)


@task(name="create", default=True, help={"env": ENV_HELP, "json": JSON_HELP,
                                         "dry_run": DRY_RUN_HELP})
@guarded
def create(c, env="", json=False, dry_run=False):
    """Dump the environment's database (pg_dump -Fc) straight into S3."""
    from shipyard.backups import create_backup

    config, store, s3, secret = _open(env)
    if dry_run:
        console.say(f"would dump DATABASE_URL of {env} into s3://{config['S3_BUCKET']}"
                    f"/backups/{env}/ (SSE: {config['BACKUP_SSE'] or 'none'})")
        return
    backup = create_backup(secret("DATABASE_URL"), s3, config["S3_BUCKET"], env,
                           release=_live_release(config, store),
                           sse=config["BACKUP_SSE"] or None, tools=_tools(config))
    _show([backup], json, f"backup of {env}")


def _live_release(config, store):  # type: ignore[no-untyped-def]
    """The release live now, recorded with the backup; None when there is none."""
    from shipyard.shared_state import ledger

    last = ledger(config, store).last_good(config.env)
    if last is None:
        return None
    return {"id": last.id, "git_sha": last.git_sha, "image_digest": last.image_digest}


@task(name="list", help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def list_(c, env="", json=False):
    """List the environment's backups, newest first."""
    from shipyard.backup_store import list_backups

    config, _, s3, _ = _open(env)
    _show(list_backups(s3, config["S3_BUCKET"], env), json, f"backups of {env}")


@task(help={"env": ENV_HELP, "id": "backup to restore (see backup.list)",
            "target_db": "name of a secret holding the database URL to restore "
            "into (default DATABASE_URL: the environment's own database)",
            "yes": "confirm overwriting the target database", "dry_run": DRY_RUN_HELP})
@guarded
def restore(c, env="", id=None, target_db="DATABASE_URL", yes=False, dry_run=False):
    """Restore a backup into the environment's database (needs --yes)."""
    from shipyard.backup_restore import restore_backup
    from shipyard.backup_store import read_backup
    from shipyard.errors import ShipyardError

    refuse_empty("--id", id, f"name a backup from `inv backup.list --env="
                 f"{env or 'ENV'}`")
    refuse_empty("--target-db", target_db, "name the secret holding the database "
                 "URL, or leave --target-db out for DATABASE_URL")
    config, _, s3, secret = _open(env)
    if not id:
        raise ShipyardError("name the backup with --id (see `inv backup.list`)")
    read_backup(s3, config["S3_BUCKET"], env, id)
    if dry_run or not yes:
        console.say(f"would restore backup {id} over the database in secret "
                    f"{target_db} of {env}")
        if not dry_run:
            raise ShipyardError("restoring replaces data: pass --yes to confirm")
        return
    restore_backup(s3, config["S3_BUCKET"], env, id, secret(target_db),
                   tools=_tools(config))


@task(help={"env": ENV_HELP, "id": "backup to verify (default: the newest)",
            "json": JSON_HELP, "scratch_db": "name of a secret holding the URL of "
            "a database to restore into (default: a temporary one on the same "
            "server)"})
@guarded
def verify(c, env="", id=None, json=False, scratch_db=""):
    """Restore a backup into a scratch database and compare it with its metadata."""
    from shipyard.backup_store import list_backups
    from shipyard.backup_verify import verify_backup
    from shipyard.errors import ShipyardError

    refuse_empty("--id", id, f"name a backup from `inv backup.list --env="
                 f"{env or 'ENV'}`, or leave --id out for the newest")
    config, _, s3, secret = _open(env)
    if not id:
        newest = list_backups(s3, config["S3_BUCKET"], env)
        if not newest:
            raise ShipyardError(f"{env} has no backups to verify: run `inv backup`")
        id = newest[0].id
    result = verify_backup(s3, config["S3_BUCKET"], env, id, secret("DATABASE_URL"),
                           scratch_url=secret(scratch_db) if scratch_db else None,
                           tools=_tools(config))
    if json:
        console.emit_json({"id": id, "ok": result.ok, "detail": result.detail})
    if not result.ok:
        raise ShipyardError(f"backup {id} failed verification: {result.detail}")


@task(help={"env": ENV_HELP,
            "dry_run": "show what the retention policy would delete, delete "
            "nothing (the default)",
            "apply": "really delete what the retention policy does not keep"})
@guarded
def prune(c, env="", dry_run=False, apply=False):
    """Apply retention: newest N, dailies and weeklies; never the newest verified."""
    from shipyard.errors import ShipyardError
    from shipyard.retention import prune as run_prune

    if dry_run and apply:
        raise ShipyardError("--dry-run only shows the plan and --apply deletes: "
                            "pass one of them")
    config, _, s3, _ = _open(env)
    run_prune(s3, config["S3_BUCKET"], env,
              keep_last=config["BACKUP_KEEP_LAST"],
              keep_daily_days=config["BACKUP_KEEP_DAILY_DAYS"],
              keep_weekly_weeks=config["BACKUP_KEEP_WEEKLY_WEEKS"],
              dry_run=not apply)


def _show(backups, json: bool, title: str) -> None:  # type: ignore[no-untyped-def]
    if json:
        return console.emit_json([b.to_json() for b in backups])
    from shipyard.transfer_progress import human_size

    rows = [[b.id, b.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"), human_size(b.size),
             b.sha256[:12],
             "yes" if b.verified_ok else "no", (b.release or {}).get("id", "")]
            for b in backups]
    console.table(title, ["id", "created", "size", "sha256", "verified", "release"],
                  rows)


backup = Collection("backup", create, list_, restore, verify, prune)
