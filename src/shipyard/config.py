"""shipyard.toml + env/<env>.env + the process environment → one validated Config.

Layers, later wins: `[defaults]` in shipyard.toml, then `env/<env>.env`, then
the process environment (only for keys Shipyard knows, so CI can override).
Secrets are not values of the ladder: they are named here and read from the
secret store when a task needs them.
"""

from __future__ import annotations

import io
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard import config_guards, settings
from shipyard.errors import ConfigError
from shipyard.frontend_config import Frontend, parse_frontend
from shipyard.paths import project_root


@dataclass(frozen=True)
class Backend:
    """The Django backend: how to build it and where it runs on Koyeb."""

    context: Path
    dockerfile: str
    repository: str
    koyeb_app: str
    koyeb_service: str
    port: int
    health_path: str
    env_keys: tuple[str, ...]
    secrets: dict[str, str]


@dataclass(frozen=True)
class Config:
    """Everything a task needs to know about one environment."""

    root: Path
    env: str
    project: str
    environments: tuple[str, ...]
    backend: Backend
    values: dict[str, Any]
    sources: dict[str, str]
    app_env: dict[str, str] = field(default_factory=dict)
    frontend: Frontend | None = None
    frontend_env: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def secret_names(self) -> list[str]:
        """Every secret this environment needs from the store."""
        names = ["KOYEB_TOKEN"]
        if self.frontend is not None:
            names.append("NETLIFY_AUTH_TOKEN")
        if self.values.get("REGISTRY_USERNAME"):
            names.append("REGISTRY_PASSWORD")
        names.extend(sorted(set(self.backend.secrets.values())))
        return names

    @property
    def netlify_site(self) -> str:
        """The Netlify site id (or name) the frontend deploys to."""
        if self.frontend is None:
            raise ConfigError("shipyard.toml has no [frontend] table: add one to "
                              "build and deploy a frontend")
        return self.values.get("NETLIFY_SITE_ID") or self.frontend.netlify_site

    @property
    def image_repository(self) -> str:
        """registry/namespace/repository, without tag or digest."""
        parts = [self.values["REGISTRY"], self.values.get("REGISTRY_NAMESPACE")]
        parts.append(self.backend.repository)
        return "/".join(part for part in parts if part)

    def describe(self) -> dict[str, Any]:
        """The resolved configuration as plain data, secret values left out."""
        return {
            "env": self.env,
            "project": self.project,
            "root": str(self.root),
            "settings": {
                key: {"value": value, "from": self.sources.get(key, "default")}
                for key, value in sorted(self.values.items())
            },
            "backend": {
                "context": str(self.backend.context.relative_to(self.root)),
                "repository": self.image_repository,
                "koyeb": f"{self.backend.koyeb_app}/{self.backend.koyeb_service}",
                "port": self.backend.port,
                "health_path": self.backend.health_path,
                "env": dict(sorted(self.app_env.items())),
                "secrets": dict(sorted(self.backend.secrets.items())),
            },
            "frontend": None if self.frontend is None else {
                **self.frontend.describe(self.root),
                "netlify_site_id": self.netlify_site,
                "env": dict(sorted(self.frontend_env.items())),
            },
            "secrets": self.secret_names,
        }


def load(env: str, root: Path | None = None) -> Config:
    """Read and validate the configuration of environment `env`."""
    root = root or project_root()
    toml_path = root / "shipyard.toml"
    document = _read_toml(toml_path)
    project = _table(document, "project", toml_path)
    environments = tuple(_require(project, "environments", list, toml_path, "project"))
    if env not in environments:
        known = ", ".join(environments)
        raise ConfigError(
            f"unknown environment {env!r}: shipyard.toml [project] environments "
            f"lists {known}"
        )
    backend = _backend(_table(document, "backend", toml_path), root, toml_path)
    frontend = parse_frontend(document, root, toml_path)
    frontend_keys = frontend.env_keys if frontend else ()

    layers = _layers(document, root, env, (*backend.env_keys, *frontend_keys))
    values, sources = _resolve(layers)
    config_guards.check(values, sources)
    app_env = _app_env(layers, backend.env_keys, env, "[backend] env")
    frontend_env = _app_env(layers, frontend_keys, env, "[frontend] env")
    config = Config(
        root=root,
        env=env,
        project=_require(project, "name", str, toml_path, "project"),
        environments=environments,
        backend=backend,
        values=values,
        sources=sources,
        app_env=app_env,
        frontend=frontend,
        frontend_env=frontend_env,
    )
    from shipyard.secrets.variables import load_variables

    load_variables(config, document)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path.name} not found in {path.parent}: run Shipyard "
                          "from your project folder or set SHIPYARD_ROOT")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(f"{path.name}: not valid TOML: {problem}") from None


def _table(document: dict, name: str, path: Path) -> dict[str, Any]:
    table = document.get(name)
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: table [{name}] is missing")
    return table


def _require(table: dict, key: str, kind: type, path: Path, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{path.name}: [{where}] {key} is missing")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ConfigError(
            f"{path.name}: [{where}] {key} must be {kind.__name__}, "
            f"got {type(value).__name__}"
        )
    return value


def _backend(table: dict, root: Path, path: Path) -> Backend:
    secrets = table.get("secrets", {})
    if not isinstance(secrets, dict) or not all(
        isinstance(v, str) for v in secrets.values()
    ):
        raise ConfigError(f"{path.name}: [backend.secrets] must map app keys to "
                          "secret names")
    context = root / _require(table, "context", str, path, "backend")
    if not context.is_dir():
        raise ConfigError(f"{path.name}: [backend] context {context.name!r} is not "
                          "a folder of this project")
    port = _require(table, "port", int, path, "backend")
    if not 1 <= port <= 65535:
        raise ConfigError(f"{path.name}: [backend] port must be 1 to 65535, got {port}")
    health_path = table.get("health_path", "/health/")
    if not isinstance(health_path, str) or not health_path.startswith("/"):
        raise ConfigError(f"{path.name}: [backend] health_path must be a path that "
                          f"starts with /, got {health_path!r}")
    env_keys = table.get("env", [])
    if not isinstance(env_keys, list) or not all(isinstance(k, str) for k in env_keys):
        raise ConfigError(f"{path.name}: [backend] env must be a list of key names, "
                          'e.g. ["DEBUG", "ALLOWED_HOSTS"]')
    return Backend(
        context=context,
        dockerfile=table.get("dockerfile", "Dockerfile"),
        repository=_require(table, "repository", str, path, "backend"),
        koyeb_app=_require(table, "koyeb_app", str, path, "backend"),
        koyeb_service=_require(table, "koyeb_service", str, path, "backend"),
        port=port,
        health_path=health_path,
        env_keys=tuple(env_keys),
        secrets=dict(secrets),
    )


Layer = tuple[str, dict[str, Any]]


def _layers(
    document: dict, root: Path, env: str, app_keys: tuple[str, ...]
) -> list[Layer]:
    defaults = document.get("defaults", {})
    env_file = root / "env" / f"{env}.env"
    known = set(settings.BY_KEY) | set(app_keys)
    process = {key: os.environ[key] for key in known if key in os.environ}
    return [
        ("shipyard.toml [defaults]", dict(defaults)),
        (f"env/{env}.env", read_env_file(env_file)),
        ("process environment", process),
    ]


def read_env_file(path: Path) -> dict[str, str]:
    """The key/value pairs of a dotenv file; a malformed line is an error."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    if not path.is_file():
        raise ConfigError(f"{path.name} not found in {path.parent}: create it with "
                          "the environment's non-secret values")
    text = path.read_text(encoding="utf-8")
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            line = binding.original.line
            shown = binding.original.string.strip()[:40]
            raise ConfigError(
                f"env/{path.name}:{line}: cannot parse {shown!r}: expected KEY=value"
            )
    # No ${VAR} expansion: a value must not pull a secret out of the process
    # environment into a file's setting (and from there into a browser bundle).
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {key: value or "" for key, value in values.items()}


def _resolve(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in settings.SETTINGS:
        raw, source = None, "default"
        for name, layer in layers:
            if setting.key in layer:
                raw, source = layer[setting.key], name
        if raw is None or raw == "":
            if setting.required:
                raise ConfigError(
                    f"{layers[1][0]}: {setting.key} is missing: set it to "
                    f"{setting.help}"
                )
            values[setting.key] = setting.default
            sources[setting.key] = "default"
            continue
        try:
            values[setting.key] = settings.parse(setting, raw)
        except ValueError:
            raise ConfigError(
                f"{source}: {setting.key} must be {settings.expected(setting)}, "
                f"got {str(raw)[:40]!r}"
            ) from None
        sources[setting.key] = source
    return values, sources


def _app_env(
    layers: list[Layer], keys: tuple[str, ...], env: str, where: str
) -> dict[str, str]:
    merged: dict[str, str] = {}
    for _, layer in layers:
        for key in keys:
            if key in layer:
                merged[key] = str(layer[key])
    missing = [key for key in keys if key not in merged]
    if missing:
        app = where.split("]")[0].strip("[")
        raise ConfigError(
            f"env/{env}.env: {missing[0]} is missing: the {app} reads it "
            f"(shipyard.toml {where})"
        )
    return merged
