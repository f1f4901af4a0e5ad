"""The Dockerfile, built and run for real by rootful podman (tests/support/containers.py).

The base is made here from Debian packages (no registry can be reached) and passed as the
Dockerfile's BASE argument; users elsewhere get python:3.11-slim. `make system-deps` installs
podman, runc and mmdebstrap.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support import ROOT, free_port
from tests.support.containers import BASE_IMAGE, BUILD_BASE_IMAGE, ensure_base_images, environment, podman

pytestmark = pytest.mark.slow
IMAGE = "localhost/glossary:test"
POSTGRES_IMAGE = "localhost/glossary-postgres:test"
TOKEN = "container-test-token"


@pytest.fixture(scope="module")
def image() -> dict[str, float]:
    base_seconds = ensure_base_images()
    started = time.monotonic()
    podman(
        "build",
        "--format",
        "docker",  # keeps HEALTHCHECK
        "--pull=never",
        "--build-arg",
        f"BASE={BASE_IMAGE}",
        "--build-arg",
        f"BUILD_BASE={BUILD_BASE_IMAGE}",
        "-t",
        IMAGE,
        str(ROOT),
        timeout=1200,
    )
    build_seconds = time.monotonic() - started
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    return {"base_seconds": base_seconds, "build_seconds": build_seconds, "size_mb": size / 1e6}


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"glossary-test-{secrets.token_hex(4)}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "-f", name, check=False)


class Container:
    def __init__(self, volume: str, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.name = f"glossary-test-{secrets.token_hex(4)}"
        args = ["run", "-d", "--name", self.name, "-p", f"127.0.0.1:{self.port}:8000", "-v", f"{volume}:/data"]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        podman(*args, IMAGE)
        self.started = time.monotonic()
        self.ready_seconds = self._wait()

    def _wait(self) -> float:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/terms/gpu", timeout=5).status_code == 200:
                    return time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.2)
        logs = podman("logs", self.name, check=False)
        raise RuntimeError(f"the container did not answer within 120 s:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")

    def remove(self) -> None:
        podman("rm", "-f", "-v", "-t", "10", self.name, check=False)  # -v: its anonymous volumes, not the named one


def test_the_image_builds_runs_as_a_user_keeps_its_data_and_is_healthy(
    image: dict[str, float], volume: str, capsys: Any
) -> None:
    first = Container(volume, {"GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN})
    try:
        page = requests.get(first.url + "/", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        term = requests.get(first.url + "/api/terms/sovereign-ai", timeout=10)
        assert term.status_code == 200 and term.json()["id"] == "sovereign-ai"
        assert term.headers["Server"].startswith("nginx")  # the proxy is in front
        status = requests.get(first.url + "/api/status", timeout=10).json()
        assert status["index"]["matcher"] == "compiled"  # built in the first stage, no compiler here
        assert podman("exec", first.name, "sh", "-c", "command -v gcc cc", check=False).returncode != 0
        body = {"text": "Physical AI runs on GPU clusters in AI factories.", "title": "Written in a container"}
        refused = requests.put(first.url + "/api/documents/from-test", json=body, timeout=30)
        assert refused.status_code == 401
        written = requests.put(
            first.url + "/api/documents/from-test", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert written.status_code == 201, written.text
        users = podman("top", first.name, "user", "comm").stdout.split("\n")[1:]
        processes = [line.split() for line in users if line.strip()]
        assert {"gunicorn", "nginx"} <= {comm for _, comm in processes}, processes
        assert {user for user, _ in processes} == {"glossary"}, processes
        assert podman("exec", first.name, "id", "-u").stdout.strip() != "0"
        assert podman("healthcheck", "run", first.name, check=False).returncode == 0
        status = podman("inspect", "--format", "{{.State.Health.Status}}", first.name).stdout.strip()
        assert status == "healthy"
    finally:
        first.remove()

    # A new container on the same volume: what the first one wrote is still there.
    second = Container(volume, {"GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN})
    try:
        kept = requests.get(second.url + "/api/documents/from-test", timeout=10)
        assert kept.status_code == 200 and kept.json()["title"] == "Written in a container"
        found = requests.get(second.url + "/api/terms/physical-ai/passages", timeout=10).json()
        assert any(p["doc"] == "from-test" for p in found["passages"])
    finally:
        second.remove()
    with capsys.disabled():
        print(
            f"\ncontainer image {IMAGE}: {image['size_mb']:.0f} MB; build {image['build_seconds']:.1f} s "
            f"(base image {image['base_seconds']:.1f} s, 0 when cached); first answer "
            f"{first.ready_seconds:.1f} s after start, {second.ready_seconds:.1f} s on the kept volume"
        )


def test_compose_runs_two_service_containers_on_one_postgresql(image: dict[str, float], capsys: Any) -> None:
    """compose.yaml under podman-compose, with a PostgreSQL image made from the same base."""
    podman(
        "build",
        "--pull=never",
        "--build-arg",
        f"BASE={BASE_IMAGE}",
        "-t",
        POSTGRES_IMAGE,
        str(ROOT / "tests" / "support" / "postgres-image"),
        timeout=900,
    )
    ports = [free_port(), free_port()]
    project = f"glossarytest{secrets.token_hex(3)}"
    env = {
        **environment(),
        "GLOSSARY_IMAGE": IMAGE,
        "POSTGRES_IMAGE": POSTGRES_IMAGE,
        "GLOSSARY_WRITE_TOKEN": TOKEN,
        "WEB1_PORT": str(ports[0]),
        "WEB2_PORT": str(ports[1]),
    }

    def compose(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "podman_compose", "-p", project, "-f", str(ROOT / "compose.yaml"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    def wait_for_both() -> float:
        started = time.monotonic()
        for port in ports:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/api/terms/gpu", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"port {port} did not answer within 180 s"
                time.sleep(0.5)
        return time.monotonic() - started

    urls = [f"http://127.0.0.1:{port}" for port in ports]
    compose("up", "-d")
    try:
        first_start = wait_for_both()
        for url in urls:
            status = requests.get(url + "/api/status", timeout=10).json()
            assert status["index"]["backend"] == "postgresql" and status["index"]["documents"] == 8
        body = {"text": "Digital twins of AI factories, shared by every host.", "title": "Shared"}
        written = requests.put(
            urls[0] + "/api/documents/shared", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert written.status_code == 201, written.text
        assert requests.get(urls[1] + "/api/documents/shared", timeout=10).json()["title"] == "Shared"
        # Every container replaced, the database's volume kept: the document is still there.
        compose("down")
        compose("up", "-d")
        wait_for_both()
        for url in urls:
            assert requests.get(url + "/api/documents/shared", timeout=10).json()["title"] == "Shared"
            assert requests.get(url + "/api/status", timeout=10).json()["index"]["documents"] == 9
    finally:
        compose("down", "-v")
    with capsys.disabled():
        print(f"\ncompose: two service containers and PostgreSQL answered {first_start:.1f} s after `up`")
