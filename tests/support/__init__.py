"""What the tests share, and the benchmarks may use: paths, a free loopback port, and real
servers (gunicorn, PostgreSQL) started and stopped by a test. Tests import this, never
`tests.conftest` or `bench/`.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.postgres import PostgresServer

__all__ = ["DATA", "ROOT", "SEEDS", "TOKEN", "Gunicorn", "PostgresServer", "free_port", "serving_worker_pids"]

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SEEDS = Path(os.environ.get("SEEDS_DIR", ROOT.parent / "shared" / "seeds"))
TOKEN = "test-token-123"


def free_port() -> int:
    """A loopback port free now, chosen below the kernel's ephemeral range (32768 and up) so
    that no outgoing connection takes it as its own port before the server binds it."""
    for _ in range(200):  # bounded
        port = random.randrange(20000, 32768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port between 20000 and 32767")


class Gunicorn:
    """A real gunicorn on a free loopback port, started and stopped by a test."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int = 2,
        port: int | None = None,
        ready_path: str | None = None,
        prefix: tuple[str, ...] = (),
    ):
        """Started when every worker has answered /api/status, or, with `ready_path`, when that
        path answers 200 (for a service that cannot read its index yet). `prefix` runs gunicorn
        under another command (`setpriv ...`)."""
        self._output = ""
        for attempt in range(3):  # bounded: a port free when chosen can be taken before gunicorn binds it
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.process = self._spawn(env, workers, prefix)
            try:
                if ready_path:
                    self._wait_for_path(ready_path)
                else:
                    self._wait_until_ready(workers)
                return
            except _PortTaken:
                self.stop()
                if port or attempt == 2:
                    raise RuntimeError(f"gunicorn could not bind port {self.port}:\n{self._output[-3000:]}") from None
            except BaseException:
                self.stop()  # never leave a half-started server behind
                raise

    def _spawn(self, env: dict[str, str], workers: int, prefix: tuple[str, ...]) -> subprocess.Popen[str]:
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by stop()
        full_env = {
            **os.environ,
            **env,
            "GLOSSARY_SERVICE_BIND": f"127.0.0.1:{self.port}",
            "GLOSSARY_SERVICE_WORKERS": str(workers),
        }
        return subprocess.Popen(
            [
                *prefix,
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "service" / "gunicorn_conf.py"),
                "service:create_app()",
            ],
            cwd=ROOT,
            env=full_env,
            # A file, not a pipe: nobody reads a pipe while the server runs, and a full one
            # (64 KiB of log lines) would stop every process that logs.
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def _exited(self) -> Exception:
        """Why gunicorn stopped during start-up, with what it printed."""
        output = self.stop()
        if "Connection in use" in output or "Address already in use" in output:
            return _PortTaken()
        return RuntimeError(f"gunicorn exited during start-up:\n{output[-3000:]}")

    def _wait_for_path(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._exited()
            try:
                if requests.get(self.url + path, timeout=10).status_code == 200:
                    self.workers = set()
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer {path} within 60 s")

    def _wait_until_ready(self, workers: int) -> None:
        # Ready when every worker has answered once (each loads the glossary and the index).
        self.workers: set[str] = set()  # the opaque ids /api/status gives
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._exited()
            try:
                self.workers.add(requests.get(self.url + "/api/status", timeout=10).json()["worker"])
                if len(self.workers) >= workers:
                    return
            except requests.RequestException:  # not listening yet, or busy loading (Kiwi, the index)
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start {workers} workers within 60 s")

    def worker_pids(self) -> set[int]:
        return serving_worker_pids(self.process.pid)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self._log.closed:
            with self._log:
                self._log.seek(0)
                self._output = self._log.read()
        return self._output


def serving_worker_pids(master: int) -> set[int]:
    """The serving workers' process ids: the gunicorn master's children but the background
    writer process (which runs at nice 10) and nginx. /api/status names no process ids."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(c) for c in children if _nice(int(c)) == 0 and _comm(int(c)) != "nginx"}


class _PortTaken(Exception):
    """Another process bound the chosen port first."""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _nice(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1  # gone
    return int(fields[16])  # field 19 of /proc/<pid>/stat, counted after the command name
