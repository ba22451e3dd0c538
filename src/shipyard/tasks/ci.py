"""`inv ci.workflow`: write the GitHub Actions workflow that releases on pushes."""

from __future__ import annotations

from invoke import Collection, task

from shipyard.tasks.common import guarded, load_config


@task(
    help={
        "env": "environment the workflow releases (default prod)",
        "output": "where to write it, relative to the project root",
        "check": "write nothing; exit 1 when the file on disk differs from what "
        "would be written",
    }
)
@guarded
def workflow(c, env="prod", output=".github/workflows/release.yml", check=False):
    """Write .github/workflows/release.yml: lint, parity, then `inv release`."""
    from pathlib import Path

    from shipyard import console
    from shipyard.ci_workflow import github_gaps, render_workflow, write_workflow
    from shipyard.errors import ShipyardError
    from shipyard.stack import load_stack

    stack = load_stack(load_config(env))
    if check:
        path = stack.root / output
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != render_workflow(stack):
            raise ShipyardError(
                f"{output} is not what `inv ci.workflow --env={env}` "
                "writes: run it and commit the result"
            )
        console.done(f"{output} is up to date")
        return
    written = write_workflow(stack, Path(output))
    shown = (written.relative_to(stack.root) if written.is_relative_to(stack.root)
             else written)
    console.done(f"wrote {shown}: releases {env} on pushes")
    gaps = github_gaps(stack)
    if gaps:
        console.warn(
            f"GitHub needs {len(gaps)} secret(s) the manifest sends to no GitHub "
            f"target ({', '.join(gaps)}): `inv lint --env={env}` names the "
            f"shipyard.toml change for each, then `inv secrets.push --env={env}`"
        )


ci = Collection("ci")
ci.add_task(workflow, default=False)
