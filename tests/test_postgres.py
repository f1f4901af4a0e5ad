"""The PostgreSQL backend: same answers as whoosh, many hosts on one database, bulk loading."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import psycopg
import pytest
import requests
from click.testing import CliRunner

from index.backends.base import SORTS
from index.backends.postgres import PostgresIndex, migrate, migrations
from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.postings import PassageFilter
from index.store import Store
from index.tracking import cooccurring, deprecated_usage, trend
from index.vocabulary import load_glossary
from service.cli import main
from tests.support import ROOT, TOKEN, Gunicorn, PostgresServer
from tests.support.postings import full_match, postings_of
from tests.support.synth import generate

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    """The seed articles, the sample corpus and 2,000 synthetic passages in one folder."""
    corpus = tmp_path_factory.mktemp("mixed") / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(seeds_dir, corpus / "seeds")
    generate(load_glossary(ROOT / "glossary.yaml"), 2000, corpus / "synthetic", seed=11)
    return corpus


def test_both_backends_return_the_same_passages_for_every_term(
    mixed_corpus: Path, postgres: PostgresServer, tmp_path: Path
) -> None:
    glossary = load_glossary(ROOT / "glossary.yaml")
    WhooshIndex(tmp_path / "ix").replace_all(read_corpus(mixed_corpus), glossary)
    pg = PostgresIndex(postgres.new_database())
    pg.replace_all(read_corpus(mixed_corpus), glossary)
    whoosh_index = WhooshIndex(tmp_path / "ix")
    on_whoosh, on_postgres = Store(whoosh_index.snapshot()), Store(pg.snapshot())
    assert on_whoosh.counts() == on_postgres.counts()
    assert on_whoosh.snapshot.passages_per_date() == on_postgres.snapshot.passages_per_date()
    answers = postings_of(whoosh_index)
    assert answers == postings_of(pg) == full_match(pg)
    assert sum(len(v) for v in answers.values()) > 1000
    for term in glossary.terms:  # every page, every order, filters: the same on both
        for sort in SORTS:
            for where in (
                PassageFilter(),
                PassageFilter(lang="ko"),
                PassageFilter(since="2024-06-01", until="2024-12-31"),
            ):
                a = on_whoosh.term_passages(term, where, sort, limit=7, offset=3)
                b = on_postgres.term_passages(term, where, sort, limit=7, offset=3)
                assert (a[0], [h.passage.id for h in a[1]]) == (b[0], [h.passage.id for h in b[1]]), (
                    term.id,
                    sort,
                    where,
                )
        assert on_whoosh.usage(term) == on_postgres.usage(term)
        assert [(c.term.id, c.passages, c.example.passage.id) for c in cooccurring(on_whoosh, term)] == [
            (c.term.id, c.passages, c.example.passage.id) for c in cooccurring(on_postgres, term)
        ], term.id
        assert [p.count for p in trend(on_whoosh, term, "week")] == [p.count for p in trend(on_postgres, term, "week")]
        assert on_whoosh.snapshot.cooccurrence(term.id, PassageFilter()) == on_postgres.snapshot.cooccurrence(
            term.id, PassageFilter()
        )
        assert on_whoosh.snapshot.cooccurrence(term.id, PassageFilter(lang="en")) == on_postgres.snapshot.cooccurrence(
            term.id, PassageFilter(lang="en")
        )
    for where in (PassageFilter(), PassageFilter(lang="en", since="2024-03-01")):
        on_both = [
            [(d.term.id, d.hit.passage.id, d.used_label, d.reason) for d in deprecated_usage(store, where)]
            for store in (on_whoosh, on_postgres)
        ]
        assert on_both[0] and on_both[0] == on_both[1]
    for query in ("digital twin", "GPU procurement", "디지털", "sovereign"):
        assert [p.id for p, _ in on_whoosh.search(query, 50).passages] == [
            p.id for p, _ in on_postgres.search(query, 50).passages
        ], query
    on_postgres.snapshot.close()
    pg.close()


def test_a_page_of_passages_runs_one_prepared_generic_plan_and_leaves_the_plan_setting_as_it_was(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    glossary = load_glossary(ROOT / "glossary.yaml")
    generate(glossary, 300, tmp_path / "corpus", seed=5)
    pg = PostgresIndex(postgres.new_database(), min_size=1, max_size=1)  # one connection: one session
    pg.replace_all(read_corpus(tmp_path / "corpus"), glossary)
    term = glossary.get("digital-twin")
    assert term is not None
    pages = []
    for _ in range(12):
        with pg.snapshot() as snap:
            pages.append(Store(snap).term_passages(term, PassageFilter(), "oldest", limit=5, offset=0))
    with pg.snapshot() as snap:
        plans = snap._rows(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ("%FROM postings po JOIN passages p%LIMIT 5 OFFSET 0%",),
        )
        mode = snap._rows("SHOW plan_cache_mode")[0][0]
    assert all(page == pages[0] for page in pages) and len(pages[0][1]) == 5
    # psycopg prepares the statement after its fifth run; from then on it is never planned again.
    assert plans and plans[0][0] >= 5 and plans[0][1] == 0, plans
    assert mode == "auto"  # other statements of the request keep PostgreSQL's choice
    pg.close()


def test_migrations_are_versioned_and_idempotent(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    PostgresIndex(url).close()
    with psycopg.connect(url) as conn:
        assert migrate(conn) == []
        rows = conn.execute("SELECT number, name FROM schema_migrations ORDER BY number").fetchall()
    assert rows == [(n, name) for n, name, _ in migrations()] and len(rows) >= 2


def test_cli_build_into_postgres_and_migrate_a_whoosh_index(
    postgres: PostgresServer, corpus_dir: Path, glossary_file: Path, tmp_path: Path
) -> None:
    url = postgres.new_database()
    result = CliRunner().invoke(
        main, ["build", "--glossary", str(glossary_file), "--corpus", str(corpus_dir), "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert "built the database from 3 documents" in result.output
    assert "3 documents, 7 passages, 4 terms" in result.output
    assert "indexing" in result.output  # the progress bar
    # Every reading command reads the database when DATABASE_URL is set, as the service does
    # (no whoosh index exists in this folder).
    env = {"DATABASE_URL": url, "GLOSSARY_SERVICE_INDEX_DIR": str(tmp_path / "no-index")}
    common = ["--glossary", str(glossary_file)]
    result = CliRunner().invoke(main, ["lookup", "digital twins", *common], env=env)
    assert result.exit_code == 0 and "[digital twin]" in result.output, result.output
    result = CliRunner().invoke(main, ["stats", *common], env=env)
    assert result.exit_code == 0 and "documents\t3" in result.output, result.output
    result = CliRunner().invoke(main, ["candidates", *common], env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["annotate", "-"], env=env, input="Two AI factories.")
    assert result.exit_code == 0 and "ai-factory\tinflection\tAI factories" in result.output, result.output
    # An unreachable database is one clear line, not a traceback.
    result = CliRunner().invoke(main, ["stats", *common], env={"DATABASE_URL": "postgresql://u:secret@127.0.0.1:9/x"})
    assert result.exit_code == 1 and result.exception is not None and not isinstance(result.exception, Exception)
    assert result.output.startswith("Error: cannot reach the database at postgresql://u:***@127.0.0.1:9/x")
    assert len(result.output.strip().splitlines()) == 1 and "secret" not in result.output
    WhooshIndex(tmp_path / "ix").replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
    other = postgres.new_database()
    result = CliRunner().invoke(main, ["migrate-index", "--index", str(tmp_path / "ix"), "--database", other])
    assert result.exit_code == 0 and "migrated 3 documents (7 passages)" in result.output
    migrated = PostgresIndex(other)
    with migrated.snapshot() as snap, WhooshIndex(tmp_path / "ix").snapshot() as source:
        assert snap.get_document("alpha").title == "Alpha"
        assert snap.document_ids() == source.document_ids()
    assert postings_of(migrated) == postings_of(WhooshIndex(tmp_path / "ix"))
    migrated.close()


def test_many_hosts_share_documents_and_glossary_edits(
    postgres: PostgresServer, database_url: str, tmp_path: Path, glossary_file: Path, corpus_dir: Path
) -> None:
    hosts: list[Gunicorn] = []
    try:
        for name in ("a", "b", "c"):
            folder = tmp_path / name
            folder.mkdir()
            shutil.copy(glossary_file, folder / "glossary.yaml")  # each host has its own checkout
            hosts.append(
                Gunicorn(
                    {
                        "DATABASE_URL": database_url,
                        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(folder / "glossary.yaml"),
                        "GLOSSARY_SERVICE_INDEX_DIR": str(folder / "var"),
                        "GLOSSARY_SERVICE_CORPUS_DIR": str(corpus_dir),
                        "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
                    },
                    workers=1,
                )
            )
        a, b, c = hosts
        r = requests.put(
            f"{a.url}/api/documents/shared/one",
            json={"text": "A GPU cluster for a digital twin."},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert r.status_code == 201
        for host in (b, c):  # visible on every host as soon as the write returned
            assert requests.get(f"{host.url}/api/documents/shared/one", timeout=30).status_code == 200
            passages = requests.get(f"{host.url}/api/terms/digital-twin/passages?doc=shared/one", timeout=30).json()
            assert passages["total"] == 1
        edited = tmp_path / "a" / "glossary.yaml"
        edited.write_text(
            edited.read_text().replace("    term: GPU\n", "    term: GPU\n    aliases: [graphics chip]\n")
        )
        start = time.monotonic()
        pending = {b.url, c.url}
        while pending and time.monotonic() - start < 2.0:
            for url in list(pending):
                if requests.get(f"{url}/api/lookup?label=graphics%20chips", timeout=30).status_code == 200:
                    pending.discard(url)
            time.sleep(0.05)
        assert not pending, "every host serves the edit within 2 s"
        assert requests.get(f"{a.url}/api/status", timeout=30).json()["index"]["backend"] == "postgresql"
    finally:
        for host in hosts:
            host.stop()
