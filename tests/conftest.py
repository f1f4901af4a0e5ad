"""Shared fixtures: small literal data in tests/data, the seed articles, real indexes on disk."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.postgres_server import PostgresServer
from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.vocabulary import load_glossary

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEEDS = Path(os.environ.get("SEEDS_DIR", ROOT.parent / "shared" / "seeds"))
TOKEN = "test-token-123"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    assert SEEDS.is_dir(), f"the seed articles are expected in {SEEDS} (../shared/seeds beside the clone)"
    return SEEDS


@pytest.fixture
def glossary_file(tmp_path: Path) -> Path:
    target = tmp_path / "glossary.yaml"
    shutil.copy(DATA / "glossary.yaml", target)
    return target


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(DATA / "corpus", target)
    return target


@pytest.fixture
def index_dir(tmp_path: Path, corpus_dir: Path, glossary_file: Path) -> Path:
    target = tmp_path / "index"
    WhooshIndex(target).replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
    return target


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres: PostgresServer, corpus_dir: Path, glossary_file: Path) -> Iterator[str]:
    """A fresh database holding the test corpus."""
    from index.backends.postgres import PostgresIndex

    url = postgres.new_database()
    index = PostgresIndex(url)
    index.replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
    index.close()
    yield url


@pytest.fixture(params=["whoosh", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Backend-agnostic tests run once on each backend."""
    return str(request.param)


@pytest.fixture
def app_config(
    backend: str, request: pytest.FixtureRequest, glossary_file: Path, corpus_dir: Path, index_dir: Path
) -> dict[str, object]:
    config: dict[str, object] = {
        "GLOSSARY_PATH": str(glossary_file),
        "CORPUS_DIR": str(corpus_dir),
        "INDEX_DIR": str(index_dir),
        "WRITE_TOKEN": TOKEN,
        "GLOSSARY_POLL_SECONDS": 0.0,
        "BACKGROUND_WRITER_SECONDS": 0.0,
        "TESTING": True,
    }
    if backend == "postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("database_url")
    return config


@pytest.fixture
def app(app_config: dict[str, object]):  # type: ignore[no-untyped-def]
    from service import create_app

    app = create_app(app_config)
    yield app
    app.extensions["glossary"].index.close()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """A real gunicorn on a free loopback port, started and stopped by a test."""

    def __init__(self, env: dict[str, str], workers: int = 2, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._output = ""
        full_env = {
            **os.environ,
            **env,
            "GLOSSARY_SERVICE_BIND": f"127.0.0.1:{self.port}",
            "GLOSSARY_SERVICE_WORKERS": str(workers),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "service" / "gunicorn_conf.py"),
                "service:create_app()",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            self._wait_until_ready(workers)
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise

    def _wait_until_ready(self, workers: int) -> None:
        # Ready when every worker has answered once (each loads the glossary and the index).
        self.workers: set[int] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                self.workers.add(requests.get(self.url + "/api/status", timeout=10).json()["worker"])
                if len(self.workers) >= workers:
                    return
            except requests.RequestException:  # not listening yet, or busy loading (Kiwi, the index)
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start {workers} workers within 60 s")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is None or self.process.stdout.closed:
            return self._output
        with self.process.stdout:
            self._output = self.process.stdout.read()
        return self._output


@pytest.fixture
def gunicorn_env(glossary_file: Path, corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    return {
        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(glossary_file),
        "GLOSSARY_SERVICE_CORPUS_DIR": str(corpus_dir),
        "GLOSSARY_SERVICE_INDEX_DIR": str(index_dir),
        "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
        "GLOSSARY_SERVICE_GLOSSARY_POLL_SECONDS": "0.5",
    }


@pytest.fixture
def server(gunicorn_env: dict[str, str]) -> Iterator[Gunicorn]:
    running = Gunicorn(gunicorn_env)
    yield running
    running.stop()
