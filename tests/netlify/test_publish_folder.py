"""What a publish folder deploys: digests, path names and the folders refused."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.netlify_files import (
    check_publish_folder,
    digest_folder,
    upload_url_path,
)
from tests.netlify.conftest import write_tree


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def test_digest_names_every_served_file_by_sha1_with_slash_paths(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "index.html": "<h1>hi</h1>",
            "assets/app.js": "console.log(1)",
            ".well-known/security.txt": "Contact: a@b.c",
            ".env": "SECRET=1",
            ".git/config": "[core]",
            ".next/BUILD_ID": "x",
            "assets/.DS_Store": "junk",
        },
    )

    digest = digest_folder(tmp_path)

    assert digest == {
        "index.html": sha1(b"<h1>hi</h1>"),
        "assets/app.js": sha1(b"console.log(1)"),
        ".well-known/security.txt": sha1(b"Contact: a@b.c"),
    }


def test_digest_keys_are_nfc_whatever_form_the_disk_uses(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "café/résumé.html")
    write_tree(tmp_path, {decomposed: "bonjour"})

    assert list(digest_folder(tmp_path)) == ["café/résumé.html"]


@pytest.mark.parametrize("name", ["what?.html", "page#top.html", "a#b/index.html"])
def test_file_names_with_hash_or_question_mark_are_refused_by_name(
    tmp_path: Path, name: str
) -> None:
    write_tree(tmp_path, {"index.html": "ok", name: "bad"})

    with pytest.raises(ShipyardError) as refused:
        digest_folder(tmp_path)

    assert name.split("/")[0] in str(refused.value)
    assert "rename" in str(refused.value)


def test_next_build_folder_is_refused_with_the_static_export_hint(
    tmp_path: Path,
) -> None:
    folder = write_tree(tmp_path / ".next", {"BUILD_ID": "abc", "server/app.js": "x"})

    with pytest.raises(ShipyardError) as refused:
        check_publish_folder(folder)

    message = str(refused.value)
    assert "no index.html" in message
    assert "output: 'export'" in message and "`out` folder" in message


def test_missing_publish_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ShipyardError, match="does not exist"):
        check_publish_folder(tmp_path / "out")


def test_export_folder_with_index_html_is_accepted(tmp_path: Path) -> None:
    check_publish_folder(write_tree(tmp_path / "out", {"index.html": "hi"}))


def test_upload_paths_encode_each_segment_but_keep_the_slashes() -> None:
    assert upload_url_path("a b/100%+é#.txt") == "a%20b/100%25%2B%C3%A9%23.txt"
