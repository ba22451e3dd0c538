"""Plans are data: they describe their steps without executing any of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_world import calls, three_files

from shipyard.pipeline import Context, Plan, Step


def test_describe_lists_steps_in_order_without_running_them(world: Path) -> None:
    plan = three_files(world)

    described = plan.describe()

    assert [item["step"] for item in described] == ["a", "b", "c"]
    assert described[0] == {
        "step": "a",
        "description": f"create {world / 'a.txt'}",
        "changes_world": True,
        "undo": True,
        "why_no_undo": None,
    }
    assert calls(world) == []
    assert list(world.iterdir()) == []


def test_plan_header_names_env_release_and_commit(world: Path) -> None:
    header = three_files(world).header()

    assert header["env"] == "sandbox"
    assert header["release_id"] == "3f2a9c1-20240131T120000Z"
    assert header["git_sha"].startswith("3f2a9c1")
    assert header["steps"] == ["a", "b", "c"]


def test_step_that_changes_the_world_needs_an_undo_or_a_reason() -> None:
    with pytest.raises(ValueError, match="has no undo"):
        Step("backup", "dump the database", do=lambda ctx: None)

    kept = Step(
        "backup",
        "dump the database",
        do=lambda ctx: None,
        why_no_undo="an extra backup harms nothing",
    )
    read_only = Step("check", "read settings", do=lambda ctx: None, changes_world=False)

    assert kept.describe()["why_no_undo"] == "an extra backup harms nothing"
    assert read_only.describe()["undo"] is False


def test_plan_refuses_repeated_step_names() -> None:
    step = Step("check", "read settings", do=lambda ctx: None, changes_world=False)

    with pytest.raises(ValueError, match="repeats step names"):
        Plan("demo", "sandbox", [step, step])


def test_context_names_the_missing_fact() -> None:
    ctx = Context("sandbox", facts={"push": {"digest": "sha256:abc"}})

    assert ctx.fact("push", "digest") == "sha256:abc"
    with pytest.raises(KeyError, match="no fact 'deployment_id' from step 'deploy'"):
        ctx.fact("deploy", "deployment_id")
