"""Shared fixtures: small literal data in tests/data, the seed articles, real indexes on disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.vocabulary import load_glossary
from tests.support import DATA, SEEDS, TOKEN, Gunicorn, PostgresServer, free_port


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


@pytest.fixture(params=["whoosh", pytest.param("postgresql", marks=pytest.mark.postgres)])
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
        "REVIEW_PATH": str(glossary_file.parent / "review.yaml"),
        "SOURCES_PATH": str(glossary_file.parent / "sources.yaml"),
        "WRITE_TOKEN": TOKEN,
        "GLOSSARY_POLL_SECONDS": 0.0,
        "BACKGROUND_WRITER_SECONDS": 0.0,
        "CHECK_RESPONSES": True,
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


@pytest.fixture
def gunicorn_env(glossary_file: Path, corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    return {
        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(glossary_file),
        "GLOSSARY_SERVICE_CORPUS_DIR": str(corpus_dir),
        "GLOSSARY_SERVICE_INDEX_DIR": str(index_dir),
        "GLOSSARY_SERVICE_REVIEW_PATH": str(glossary_file.parent / "review.yaml"),
        "GLOSSARY_SERVICE_SOURCES_PATH": str(glossary_file.parent / "sources.yaml"),
        "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
        "GLOSSARY_SERVICE_GLOSSARY_POLL_SECONDS": "0.5",
        "GLOSSARY_SERVICE_CHECK_RESPONSES": "1",
    }


@pytest.fixture
def server(gunicorn_env: dict[str, str]) -> Iterator[Gunicorn]:
    running = Gunicorn(gunicorn_env)
    yield running
    running.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts PostgreSQL is a `postgres` test, however it gets there, so that
    `-m "not postgres"` (make test-fast) never needs the server."""
    for item in items:
        if "postgres" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["compiled", "python"])
def matcher_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a matcher test on both paths: the compiled hot loop (index/_scan.c) and the Python
    one it was ported from, which is what an install without a C compiler runs."""
    import index.matcher

    assert index.matcher.compiled is not None, "index/_scan.c was not built: is a C compiler installed?"
    if request.param == "python":
        monkeypatch.setattr(index.matcher, "compiled", None)
    return str(request.param)
