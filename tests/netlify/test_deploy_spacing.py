"""Production deploys keep to Netlify's three a minute across separate runs."""

from __future__ import annotations

import time
from pathlib import Path

from tests.netlify.conftest import Sleeps, StandIn, write_tree


def test_a_new_run_counts_the_sites_recent_production_deploys(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "v"})
    first_sent = time.time()
    with make_client() as earlier_run:
        for round_ in range(3):
            (folder / "index.html").write_text(f"earlier {round_}")
            earlier_run.deploy(site["id"], folder)
            if round_ == 0:
                first_done = time.time()

    sleeps = Sleeps(cap=0.02)
    next_started = time.time()
    with make_client(sleep=sleeps) as next_run:
        (folder / "index.html").write_text("next")
        next_run.deploy(site["id"], folder)
    next_done = time.time()

    spacing = [wait for wait in sleeps.waits if wait > 1]
    assert len(spacing) == 1
    # The wait lasts until a minute after the oldest of the three earlier
    # production deploys was created.
    assert first_sent + 60 - next_done <= spacing[0] <= first_done + 60 - next_started


def test_draft_deploys_do_not_count_towards_the_production_limit(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "draft"})
    with make_client() as earlier_run:
        for round_ in range(3):
            (folder / "index.html").write_text(f"draft {round_}")
            earlier_run.deploy(site["id"], folder, production=False)

    sleeps = Sleeps(cap=0.02)
    with make_client(sleep=sleeps) as next_run:
        (folder / "index.html").write_text("production")
        next_run.deploy(site["id"], folder)

    assert not [wait for wait in sleeps.waits if wait > 1]
