"""The secrets manifest: what shipyard.toml's [secrets.NAME] tables mean, and
the one-line errors that name the table and key to fix."""

from __future__ import annotations

import string
import tomllib

import pytest

from shipyard.errors import ConfigError
from shipyard.secrets import generators
from shipyard.secrets.manifest import parse_manifest
from tests.rotation.conftest import HERE


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_manifest(tomllib.loads(text))


def test_example_manifest_reads_kinds_targets_readers_and_periods() -> None:
    manifest = _parse((HERE / "manifest.toml").read_text())

    database = manifest.get("DATABASE_PASSWORD")
    assert (database.kind, database.strategy, database.roles) == (
        "database_password", "alternating", ("shipyard_demo_a", "shipyard_demo_b"))
    assert database.companions == ("DATABASE_URL",)
    assert [t.describe() for t in manifest.get("PAYMENT_API_KEY").targets] == [
        "github:PAYMENT_API_KEY", "github:sandbox:PAYMENT_API_KEY",
        "netlify:PAYMENT_API_KEY"]
    assert [t.describe() for t in manifest.get("DJANGO_SECRET_KEY").targets] == [
        "koyeb:django-secret-key"]
    assert manifest.get("WEBHOOK_SIGNING_KEY").readers == ("backend",)
    assert manifest.parent_of("DJANGO_SECRET_KEY_FALLBACKS").name == (
        "DJANGO_SECRET_KEY")
    assert not manifest.get("DATABASE_URL").rotatable


@pytest.mark.parametrize(("table", "message"), [
    ('[secrets.A]\nkind = "magic"', "[secrets.A] kind is 'magic': use 'generated'"),
    ("[secrets.A]\ntargets = []", "[secrets.A] kind is missing"),
    ('[secrets.A]\nkind = "external"\ntargets = [{ s3 = true }]',
     "[secrets.A] targets entry {'s3': True} is not understood"),
    ('[secrets.A]\nkind = "external"\ntargets = [{ github = "org" }]',
     '[secrets.A] targets github = \'org\': use "repo" or "environment:NAME"'),
    ('[secrets.A]\nkind = "generated"\nlength = 0',
     "[secrets.A] length must be a whole number above 0"),
    ('[secrets.A]\nkind = "external"\nreaders = ["worker"]',
     "[secrets.A] readers names 'worker'"),
    ('[secrets.A]\nkind = "database_password"\nrole = "app"',
     "[secrets.A] url_secret is missing"),
    (('[secrets.A]\nkind = "database_password"\nurl_secret = "U"\n'
     'strategy = "alternating"\nroles = ["one"]'), "[secrets.A] roles must name two"),
    ('[secrets.A]\nkind = "django_secret_key"\nfallbacks = "F"',
     "[secrets.A] fallbacks names F, which has no [secrets.F] table"),
    ('[secrets.A]\nkind = "external"\nrotate_every = 3',
     "[secrets.A] rotate_every is not a key Shipyard knows"),
])
def test_manifest_errors_name_shipyard_toml_the_table_and_the_key(
    table: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(table)

    text = str(caught.value)
    assert text.startswith("shipyard.toml: ") and message in text
    assert "\n" not in text


def test_django_keys_are_fifty_characters_of_djangos_alphabet() -> None:
    keys = {generators.django_secret_key("K").reveal() for _ in range(20)}

    assert len(keys) == 20
    allowed = set(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)")
    assert all(len(key) == 50 and set(key) <= allowed for key in keys)


def test_generated_values_follow_length_and_alphabet() -> None:
    value = generators.generated("W", 40, "hex").reveal()

    assert len(value) == 40 and set(value) <= set("0123456789abcdef")
