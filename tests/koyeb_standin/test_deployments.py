"""The Koyeb stand-in really deploys images on Docker and serves them at a stable URL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

from shipyard.sandbox.koyeb_runner import (
    DEPLOYMENT_LABEL,
    instance_id,
    labelled,
    remove_all_containers,
)
from shipyard.sandbox.processes import free_port

from .conftest import StandInProcess

pytestmark = pytest.mark.integration

QUICK_CHECK = {"grace_period": 1, "timeout": 1, "restart_limit": 2}


def definition(image: str, message: str, **extra_env: str) -> dict[str, Any]:
    """A web service on declared port 8000 with a quick /health/ check."""
    env = [{"key": "MESSAGE", "value": message}]
    env += [{"key": key, "value": value} for key, value in extra_env.items()]
    return {
        "type": "WEB",
        "docker": {"image": image},
        "ports": [{"port": 8000, "protocol": "http"}],
        "routes": [{"port": 8000, "path": "/"}],
        "health_checks": [{**QUICK_CHECK, "http": {"port": 8000, "path": "/health/"}}],
        "env": env,
    }


def wait_settled(
    api: httpx.Client,
    deployment_id: str,
    settled: tuple[str, ...] = ("HEALTHY", "ERROR", "CANCELED"),
    limit: float = 60,
) -> dict:
    """The deployment once its status is one of `settled`."""
    deadline = time.monotonic() + limit
    while True:
        found = api.get(f"/deployments/{deployment_id}").json()["deployment"]
        if found["status"] in settled:
            return found
        assert time.monotonic() < deadline, f"still {found['status']}"
        time.sleep(0.2)


def messages(api: httpx.Client, deployment_id: str) -> list[str]:
    """The deployment's event messages, oldest first."""
    query = {"deployment_id": deployment_id, "order": "asc", "limit": 100}
    return [
        e["message"]
        for e in api.get("/deployment_events", params=query).json()["events"]
    ]


def create_service(api: httpx.Client, name: str, spec: dict) -> tuple[str, dict, dict]:
    """A new app with one service; returns (stable URL, service, deployment)."""
    app = api.post("/apps", json={"name": name}).json()["app"]
    body = {"app_id": app["id"], "name": "api", "definition": spec}
    service = api.post("/services", json=body).json()["service"]
    deployment = wait_settled(api, service["latest_deployment_id"])
    url = f"http://{app['domains'][0]['name']}"
    return url, api.get(f"/services/{service['id']}").json()["service"], deployment


def redeploy(api: httpx.Client, service_id: str, spec: dict) -> dict:
    """Send a whole new definition and wait for its deployment to settle."""
    reply = api.patch(f"/services/{service_id}", json={"definition": spec})
    assert reply.status_code == 200, reply.text
    return wait_settled(api, reply.json()["service"]["latest_deployment_id"])


def ours(standin: StandInProcess) -> list[Any]:
    """The containers of this stand-in (other stand-ins may share the engine)."""
    return labelled(instance_id(standin.state_dir))


def served(url: str) -> dict:
    return httpx.get(f"{url}/whoami", timeout=5).json()


def test_healthy_deployment_answers_at_stable_url(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        api.post("/secrets", json={"name": "app-secret", "value": "from-a-secret"})
        spec = definition(probe_image, "one")
        spec["env"].append({"key": "APP_SECRET", "secret": "app-secret"})
        url, service, deployment = create_service(api, "probe", spec)
        events = messages(api, deployment["id"])

    assert deployment["status"] == "HEALTHY", events
    assert service["status"] == "HEALTHY"
    assert service["active_deployment_id"] == deployment["id"]
    answer = served(url)
    assert answer["message"] == "one" and answer["secret"] == "from-a-secret"
    assert answer["port"] != 8000 and f"PORT={answer['port']}" in " ".join(events)
    (container,) = ours(standin)
    assert container.labels[DEPLOYMENT_LABEL] == deployment["id"]
    assert container.attrs["HostConfig"]["NetworkMode"] == "host"


def test_new_healthy_deployment_takes_over_and_stops_the_old(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        url, service, first = create_service(
            api, "probe", definition(probe_image, "one")
        )
        second = redeploy(api, service["id"], definition(probe_image, "two"))
        old = wait_settled(api, first["id"], settled=("STOPPED",))
        service = api.get(f"/services/{service['id']}").json()["service"]

    assert second["status"] == "HEALTHY"
    assert served(url)["message"] == "two"
    assert old["status"] == "STOPPED"
    assert service["active_deployment_id"] == second["id"]
    assert [c.labels[DEPLOYMENT_LABEL] for c in ours(standin)] == [second["id"]]


def test_failed_health_check_keeps_old_deployment_serving(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        url, service, first = create_service(
            api, "probe", definition(probe_image, "one")
        )
        answers: list[Any] = []
        stop = threading.Event()
        poller = threading.Thread(target=_poll, args=(url, answers, stop))
        poller.start()
        try:
            stubborn = definition(probe_image, "two", LISTEN_PORT=str(free_port()))
            failed = redeploy(api, service["id"], stubborn)
            time.sleep(0.5)
        finally:
            stop.set()
            poller.join()
        events = messages(api, failed["id"])
        service = api.get(f"/services/{service['id']}").json()["service"]

    assert failed["status"] == "ERROR"
    loopback = failed["messages"][0].split("$PORT=")[1].split()[0]
    assert (
        f"health check GET /health/ on port 8000 (loopback 127.0.0.1:{loopback}) got "
        f"no answer for 5 s; the app must listen on $PORT={loopback}"
    ) in failed["messages"][0]
    assert any("probe app listening on" in event for event in events)
    assert len(answers) > 20 and set(answers) == {"one"}
    assert service["active_deployment_id"] == first["id"]
    assert [c.labels[DEPLOYMENT_LABEL] for c in ours(standin)] == [first["id"]]


def _poll(url: str, answers: list[Any], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            answers.append(served(url)["message"])
        except (httpx.HTTPError, ValueError) as exc:
            answers.append(repr(exc))
        time.sleep(0.05)


def test_unknown_image_ends_in_error_with_pull_event(
    standin: StandInProcess, registry: str
) -> None:
    image = f"{registry}/no-such-image@sha256:{'0' * 64}"
    with standin.api() as api:
        url, service, deployment = create_service(api, "ghost", definition(image, "x"))
        events = messages(api, deployment["id"])

    assert deployment["status"] == "ERROR"
    assert any(e.startswith(f"pulling image {image} failed") for e in events)
    assert service["status"] == "UNHEALTHY" and not service["active_deployment_id"]
    assert httpx.get(url, timeout=5).status_code == 503


def test_deleted_secret_fails_the_next_deployment_with_its_name(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        secret = api.post("/secrets", json={"name": "token", "value": "t0ken-value"})
        spec = definition(probe_image, "one")
        spec["env"].append({"key": "APP_SECRET", "secret": "token"})
        url, service, first = create_service(api, "probe", spec)
        api.delete(f"/secrets/{secret.json()['secret']['id']}")
        answer = api.post(f"/services/{service['id']}/redeploy", json={})
        failed = wait_settled(api, answer.json()["deployment"]["id"])

    assert first["status"] == "HEALTHY" and failed["status"] == "ERROR"
    assert "needs secret 'token', which does not exist" in failed["messages"][0]
    assert served(url)["secret"] == "t0ken-value"


def test_restart_of_the_standin_keeps_serving(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        url, service, first = create_service(
            api, "probe", definition(probe_image, "one")
        )
    standin.stop()
    assert [c.status for c in ours(standin)] == ["running"]

    standin.start()
    assert served(url)["message"] == "one"
    with standin.api() as api:
        again = api.get(f"/services/{service['id']}").json()["service"]
        assert again["active_deployment_id"] == first["id"]
        second = redeploy(api, service["id"], definition(probe_image, "two"))
    assert second["status"] == "HEALTHY"
    assert served(url)["message"] == "two"


def test_cleanup_flag_removes_every_container_of_the_standin(
    standin: StandInProcess, probe_image: str
) -> None:
    with standin.api() as api:
        create_service(api, "probe", definition(probe_image, "one"))
    standin.stop()
    argv = [sys.executable, "-m", "shipyard.sandbox.koyeb", "--cleanup"]
    argv += ["--state-dir", str(standin.state_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)

    assert "removed 1 " in done.stdout
    assert ours(standin) == []
    assert remove_all_containers(standin.state_dir) == 0
