"""Term postings stay equal to a fresh full match, whatever the writes, deletes and edits.

Real whoosh indexes on disk and a real PostgreSQL server; hypothesis chooses the sequences.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.backends.base import FirstPassages, PassageIndex
from index.backends.postgres import PostgresIndex, migrations
from index.backends.whoosh import WhooshIndex
from index.corpus import parse_document, read_corpus
from index.errors import GlossaryInvalid, IndexOutdated
from index.glossary import Glossary
from index.postings import CORPUS, PassageFilter, usage_of
from index.review import Review, with_review
from index.store import Store
from index.text import passage_fingerprint
from index.vocabulary import load_glossary, matcher_for, parse_glossary
from index.writer import BackgroundWriter
from service.cli import main
from tests.support import ROOT, TOKEN, PostgresServer
from tests.support.postings import full_match, postings_of

DATA = ROOT / "tests" / "data"
SENTENCES = [
    "A digital twin of the plant.",
    "Two digital twins and an AI factory.",
    "GPU clusters, one GPU cluster.",
    "디지털 트윈을 만들었다.",
    "The old name of the GPU.",
    "Nothing here at all.",
    "An AI factory with GPUs.",
    "Graphics chips in a digital twin.",
    "The Twins won the game.",
    "A virtual replica of a factory.",
]
DATES = [None, "2025-01-10", "2025-02-03", "2025-03-05"]
# Glossary edits: (find, replace) in tests/data/glossary.yaml, applied to the base text.
EDITS = [
    ("", ""),  # back to the base glossary
    ("    term: GPU\n", "    term: GPU\n    aliases: [old name]\n"),
    ("    term: GPU\n", "    term: GPU\n    aliases: [graphics chip, factory]\n"),
    ("    term: GPU\n", "    term: GPU\n    aliases: [plant]\n"),
]

operation = st.one_of(
    st.tuples(
        st.just("put"),
        st.integers(0, 5),
        st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=3),
        st.sampled_from(DATES),
    ),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("edit"), st.integers(0, len(EDITS) - 1)),
    # A curator rejects a term's match in a passage (or undoes it): review.yaml.
    st.tuples(st.just("review"), st.sampled_from(["digital-twin", "ai-factory", "gpu"]), st.sampled_from(SENTENCES)),
)


def glossary_for(edit: int, rejected: frozenset[tuple[str, str]] = frozenset()) -> Glossary:
    find, replace = EDITS[edit]
    text = (DATA / "glossary.yaml").read_text()
    text = text.replace(find, replace, 1) if find else text
    entries = tuple({"term": t, "fingerprint": passage_fingerprint(s), "doc": "d"} for t, s in sorted(rejected))
    return parse_glossary(with_review(text, Review(rejected_matches=entries)))


def apply(index: PassageIndex, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    edit, rejected = 0, frozenset[tuple[str, str]]()
    for op in ops:
        if op[0] == "put":
            _, n, sentences, date = op
            front = f"---\ndate: {date}\n---\n" if date else ""
            index.write(put=[parse_document(f"doc{n}", front + "\n\n".join(sentences) + "\n")])
        elif op[0] == "delete":
            index.write(delete=[f"doc{op[1]}"])
        else:
            if op[0] == "edit":
                edit = op[1]
            else:
                try:  # a rejected example sentence of the term makes the glossary invalid: refused
                    glossary_for(edit, rejected ^ {(op[1], op[2])})
                except GlossaryInvalid:
                    continue
                rejected = rejected ^ {(op[1], op[2])}
            index.rematch(glossary_for(edit, rejected))


def assert_postings_equal_a_full_match(index: PassageIndex) -> None:
    expected = full_match(index)
    assert postings_of(index) == expected
    with index.snapshot() as snap:
        store = Store(snap)
        passages = {p.id: p for p in snap.all_passages()}
        # Page by page too (the first pages come from the terms' heads where the index keeps them).
        for term in store.glossary.terms:
            rows = expected[term.id]
            pages = [store.term_passages(term, limit=2, offset=k)[1] for k in range(0, len(rows) + 1, 2)]
            assert [h.passage.id for page in pages for h in page] == [pid for pid, _ in rows], term.id
        for term_id, rows in expected.items():
            # The counts kept beside the postings agree with them too.
            dates = [passages[pid].date for pid, _ in rows if passages[pid].date]
            usage = usage_of(snap.term_stats(term_id), PassageFilter())
            assert (usage.passages, usage.documents, usage.first_seen, usage.last_seen) == (
                len(rows),
                len({pid.rsplit(":", 1)[0] for pid, _ in rows}),
                min(dates, default=None),
                max(dates, default=None),
            ), term_id
            mine = {pid for pid, _ in rows}
            shared = Counter(
                {
                    other: len(mine & {pid for pid, _ in other_rows})
                    for other, other_rows in expected.items()
                    if other != term_id
                }
            )
            assert snap.cooccurrence(term_id, PassageFilter()) == +shared, term_id
        # The example of each co-occurring pair is the newest passage both use.
        for term_id, rows in expected.items():
            for other_id in snap.cooccurrence(term_id, PassageFilter()):
                theirs = {pid for pid, _ in expected[other_id]}
                newest = next(pid for pid, _ in rows if pid in theirs)
                example = snap.shared_example(term_id, other_id)
                assert example is not None and example.passage.id == newest, (term_id, other_id)
                assert example.matches and all(m.term == term_id for m in example.matches)
        assert store.counts().passages == len(passages)
        assert set(snap.term_stats(CORPUS).groups) == {
            (p.date or "", p.lang, p.source or "") for p in passages.values()
        }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=12), aside=st.booleans(), walk=st.booleans(), head=st.sampled_from([1, 3, 50]))
def test_whoosh_postings_always_equal_a_full_match(
    tmp_path_factory: pytest.TempPathFactory,
    ops: list[tuple],  # type: ignore[type-arg]
    aside: bool,
    walk: bool,
    head: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `aside`: re-match every glossary edit into a new generation instead of one commit.
    monkeypatch.setattr("index.backends.whoosh.ASIDE_MIN_DOCUMENTS", -1 if aside else 10**9)
    # `walk`: find shared examples by walking dates, or among all the records naming the pair.
    monkeypatch.setattr("index.backends.whoosh._FEW_SHARED", 0 if walk else 10**9)
    # `head`: how many newest passages a term's head keeps (small: heads cut short, merged and read again).
    monkeypatch.setattr("index.backends.whoosh.HEAD_SIZE", head)
    ix = tmp_path_factory.mktemp("ix")
    WhooshIndex(ix).replace_all(read_corpus(DATA / "corpus"), glossary_for(0))
    index = WhooshIndex(ix)
    apply(index, ops)
    assert_postings_equal_a_full_match(index)
    index.close()


def test_a_head_cut_short_is_read_again_when_a_commit_takes_its_newest_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Heads of 2: deleting the newest document while adding an old one leaves the old head one
    # passage it can vouch for; the second is read again from the postings, not guessed.
    monkeypatch.setattr("index.backends.whoosh.HEAD_SIZE", 2)
    index = WhooshIndex(tmp_path / "ix")
    dated = [(f"d{n}", f"2025-0{n}-01") for n in range(5, 1, -1)]  # newest first
    documents = [parse_document(d, f"---\ndate: {date}\n---\nA digital twin, number {d}.\n") for d, date in dated]
    index.replace_all(documents, glossary_for(0))
    old = parse_document("d0", "---\ndate: 2025-01-01\n---\nAn old digital twin.\n")
    index.write(put=[old], delete=["d5"])
    with index.snapshot() as snap:
        store = Store(snap)
        term = store.term("digital-twin")
        assert term is not None
        assert snap.head("digital-twin") is not None
        pages = [store.term_passages(term, limit=1, offset=k) for k in range(5)]
        assert [hit.passage.doc for _, page in pages for hit in page] == ["d4", "d3", "d2", "d0"]
        assert {total for total, _ in pages} == {4}
    index.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, max_size=10))
def test_postgres_postings_always_equal_a_full_match(postgres: PostgresServer, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    index = PostgresIndex(postgres.new_database())
    index.replace_all(read_corpus(DATA / "corpus"), glossary_for(0))
    apply(index, ops)
    assert_postings_equal_a_full_match(index)
    index.close()


def test_reads_never_match_corpus_text(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = WhooshIndex(index_dir)
    with index.snapshot() as snap:
        store = Store(snap)
        monkeypatch.setattr("index.matcher.Matcher.match", lambda *a: pytest.fail("a read matched text"))
        for term in store.glossary.terms:
            store.term_passages(term)
            store.term_passages(term, PassageFilter(lang="en"), sort="matches")
            store.usage(term)
        from index.tracking import cooccurring, deprecated_usage, movements, trend

        trend(store, store.term("digital-twin"))
        cooccurring(store, store.term("digital-twin"))
        movements(store)
        deprecated_usage(store)
        assert store.document("alpha") is not None


# -- the one writer: crashes and handover ---------------------------------------------------------
WRITER_SCRIPT = """
import sys
from index.vocabulary import load_glossary
from index.backends.whoosh import WhooshIndex
import index.backends.whoosh as wb
wb.ASIDE_MIN_DOCUMENTS = 0 if sys.argv[3] == "aside" else 10**9
index = WhooshIndex(sys.argv[1])
everything = sys.argv[3] == "scan"  # every document matched against its postings, then one commit
index.rematch(load_glossary(sys.argv[2]), progress=lambda n, total: print(n, total, flush=True), everything=everything)
print("done", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", ["aside", "one-commit", "scan"])
def test_kill_minus_nine_while_rematching_keeps_readers_consistent(tmp_path: Path, path: str) -> None:
    from tests.support.synth import generate

    corpus = tmp_path / "corpus"
    generate(load_glossary(ROOT / "glossary.yaml"), 4000, corpus, seed=5)
    ix = tmp_path / "ix"
    WhooshIndex(ix).replace_all(read_corpus(corpus), load_glossary(ROOT / "glossary.yaml"))
    index = WhooshIndex(ix)
    before = postings_of(index)
    old_version = index.state().glossary_version
    edited = tmp_path / "glossary.yaml"
    # "sovereign compute stack" is planted in 1% of the passages; "team" is common filler.
    edited.write_text(
        (ROOT / "glossary.yaml")
        .read_text()
        .replace("    aliases: [AI sovereignty]", "    aliases: [AI sovereignty, sovereign compute stack, team]")
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(ix), str(edited), path], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    seen = 0
    while seen < 50:  # well inside the re-match
        line = writer.stdout.readline()
        assert line and not line.startswith("done"), "the re-match ended before it could be killed"
        seen += 1
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    # Readers: still the old glossary with the old postings, consistent with each other.
    assert index.state().glossary_version == old_version
    assert postings_of(index) == before
    # The next writer (here the service's background writer) finishes the job.
    from index.live import LiveGlossary

    done = BackgroundWriter(index, LiveGlossary(edited, poll_seconds=0)).run_once()
    assert "rematch" in done
    assert index.state().glossary_version == load_glossary(edited).version
    after = postings_of(index)
    assert after == full_match(index)
    assert len(after["sovereign-ai"]) > len(before["sovereign-ai"])
    assert len([p for p in ix.glob("gen-*")]) == 1  # the killed build's generation was cleaned up


def test_only_one_process_is_the_background_writer(index_dir: Path, glossary_file: Path) -> None:
    from index.live import LiveGlossary

    first, second = WhooshIndex(index_dir), WhooshIndex(index_dir)
    assert first.try_writer_lock()
    code = (
        "import sys; from index.backends.whoosh import WhooshIndex; print(WhooshIndex(sys.argv[1]).try_writer_lock())"
    )
    other = subprocess.run([sys.executable, "-c", code, str(index_dir)], cwd=ROOT, capture_output=True, text=True)
    assert other.stdout.strip() == "False"
    assert (
        BackgroundWriter(second, LiveGlossary(glossary_file, poll_seconds=0)).run_once() == []
        or second.try_writer_lock()
    )  # flock is per open file: a second handle in this process may share it
    first.close()
    other = subprocess.run([sys.executable, "-c", code, str(index_dir)], cwd=ROOT, capture_output=True, text=True)
    assert other.stdout.strip() == "True"  # released with its holder


# -- upgrades ----------------------------------------------------------------------------------
def test_an_index_made_before_heads_serves_then_gets_them_at_its_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.backends.whoosh as backend

    with monkeypatch.context() as before_heads:  # the release before: no head fields, no head records
        before_heads.setattr(backend, "_head_fields", dict)
        before_heads.setattr(backend, "_write_all_heads", lambda ix: None)
        WhooshIndex(tmp_path / "ix").replace_all(read_corpus(DATA / "corpus"), glossary_for(0))
    index = WhooshIndex(tmp_path / "ix")
    expected = full_match(index)
    with index.snapshot() as snap:
        assert snap.head("digital-twin") is None
    assert postings_of(index) == expected  # read from the dated postings meanwhile
    index.write(put=[parse_document("new", "---\ndate: 2026-01-01\n---\nA digital twin, new.\n")])
    with index.snapshot() as snap:
        head = snap.head("digital-twin")
        gpu = snap.head("gpu")  # every term's head, not only the written document's terms
    assert head is not None and head.entries()[0][0][0] == "new"
    assert gpu is not None and [e[0][0] for e in gpu.entries()] == [pid.rsplit(":", 1)[0] for pid, _ in expected["gpu"]]
    assert postings_of(index) == full_match(index)
    index.close()


@pytest.mark.parametrize("packed", ["chunks", "one list (an earlier release)"])
def test_pages_of_a_head_across_its_chunks_are_the_postings_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed: str
) -> None:
    import pickle

    import index.backends.whoosh as backend

    if packed != "chunks":
        monkeypatch.setattr(backend, "_packed_head", lambda head: pickle.dumps(head))
    documents = [
        parse_document(f"d{n:02}", f"---\ndate: 2025-01-{n % 28 + 1:02}\n---\nA digital twin, number {n}.\n")
        for n in range(backend.HEAD_SIZE + 7)
    ]
    index = WhooshIndex(tmp_path / "ix")
    index.replace_all(documents, glossary_for(0))
    expected = [pid for pid, _ in full_match(index)["digital-twin"]]
    with index.snapshot() as snap:
        store = Store(snap)
        term = store.term("digital-twin")
        assert term is not None
        head = snap.head("digital-twin")
        assert head is not None and len(head) == backend.HEAD_SIZE > 2 * backend.HEAD_CHUNK
        assert [f"{e[0][0]}:{e[1]}" for e in head.entries(13, 44)] == expected[13:44]  # three chunks
        for limit in (1, 7, backend.HEAD_CHUNK):
            pages = [store.term_passages(term, limit=limit, offset=k) for k in range(0, len(expected), limit)]
            assert [h.passage.id for _, page in pages for h in page] == expected, limit
            assert {total for total, _ in pages} == {len(expected)}
    index.close()


@pytest.mark.parametrize("backend", ["whoosh", "postgresql"])
def test_a_process_keeps_the_first_passages_of_the_terms_last_asked_for_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, backend: str
) -> None:
    monkeypatch.setattr(FirstPassages, "TERMS", 2)
    reads: list[str] = []
    get = FirstPassages.get
    monkeypatch.setattr(
        FirstPassages,
        "get",
        lambda self, version, term_id, read: get(self, version, term_id, lambda: reads.append(term_id) or read()),
    )
    index: PassageIndex
    if backend == "whoosh":
        index = WhooshIndex(tmp_path / "ix")
    else:
        index = PostgresIndex(request.getfixturevalue("postgres").new_database())
    index.replace_all(read_corpus(DATA / "corpus"), glossary_for(0))
    expected = {term: [pid for pid, _ in hits] for term, hits in full_match(index).items()}
    terms = [term for term, pids in expected.items() if pids][:3]
    assert len(terms) == 3

    def first_page(term_id: str, limit: int = 20) -> list[str]:
        with index.snapshot() as snap:
            store = Store(snap)
            term = store.term(term_id)
            assert term is not None
            total, hits = store.term_passages(term, limit=limit)
            assert total == len(expected[term_id])
            return [h.passage.id for h in hits]

    for term_id in terms:
        assert first_page(term_id) == expected[term_id][:20]
    assert reads == terms
    assert first_page(terms[2], limit=1) == expected[terms[2]][:1]  # kept: the two last asked for
    assert first_page(terms[1]) == expected[terms[1]][:20]
    assert reads == terms
    assert first_page(terms[0]) == expected[terms[0]][:20]  # evicted by the third: read again
    assert reads == [*terms, terms[0]]
    # A write is a new version: its first passages are read afresh and show the new document.
    index.write(put=[parse_document("new", "---\ndate: 2030-01-01\n---\nA digital twin, new.\n")])
    expected = {term: [pid for pid, _ in hits] for term, hits in full_match(index).items()}
    reads.clear()
    assert first_page("digital-twin") == expected["digital-twin"][:20]
    assert expected["digital-twin"][0].startswith("new:")
    assert reads == ["digital-twin"]
    index.close()


def test_a_whoosh_index_of_the_previous_release_is_upgraded_with_its_documents(
    tmp_path: Path, glossary_file: Path
) -> None:
    import whoosh.index
    from whoosh import columns
    from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema

    old_schema = Schema(
        doc=ID(stored=True, unique=True),
        keys=KEYWORD(scorable=True, lowercase=False),
        title=STORED(),
        date=STORED(),
        lang=STORED(),
        source=STORED(),
        body=STORED(),
        passages=STORED(),
        meta=STORED(),
        date_column=COLUMN(columns.VarBytesColumn()),
    )
    ix_dir = tmp_path / "ix"
    (ix_dir / "gen-1").mkdir(parents=True)
    ix = whoosh.index.create_in(str(ix_dir / "gen-1"), old_schema)
    writer = ix.writer()
    for doc in read_corpus(DATA / "corpus"):
        writer.add_document(
            doc=doc.id,
            keys="x",
            title=doc.title,
            date=doc.date or "",
            lang=doc.lang,
            source=doc.source or "",
            body=doc.body,
            passages=[p.text for p in doc.passages],
            meta={"url": doc.url, "checksum": doc.checksum, "markdown": doc.markdown},
            date_column=(doc.date or "").encode(),
        )
    writer.commit()
    os.symlink("gen-1", ix_dir / "current")
    with pytest.raises(IndexOutdated, match="glossary upgrade"):
        WhooshIndex(ix_dir).version()
    result = CliRunner().invoke(main, ["upgrade", "--glossary", str(glossary_file), "--index", str(ix_dir), "--quiet"])
    assert result.exit_code == 0 and "3 documents matched" in result.output, result.output
    index = WhooshIndex(ix_dir)
    assert postings_of(index) == full_match(index) and postings_of(index)["digital-twin"]


def test_a_database_of_the_previous_release_is_migrated_then_upgraded(
    postgres: PostgresServer, glossary_file: Path
) -> None:
    url = postgres.new_database()
    with psycopg.connect(url, autocommit=True) as conn:  # the schema and data the previous release left
        conn.execute(
            "CREATE TABLE schema_migrations (number integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for number, name, text in migrations()[:2]:
            conn.execute(text)  # type: ignore[call-overload]
            conn.execute("INSERT INTO schema_migrations (number, name) VALUES (%s, %s)", (number, name))
        for doc in read_corpus(DATA / "corpus"):
            conn.execute(
                "INSERT INTO documents (id, title, date, lang, source, url, body, checksum, markdown) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (doc.id, doc.title, doc.date, doc.lang, doc.source, doc.url, doc.body, doc.checksum, doc.markdown),
            )
            for p in doc.passages:
                conn.execute(
                    "INSERT INTO passages (doc, ordinal, text, keys) VALUES (%s, %s, %s, %s)",
                    (doc.id, p.ordinal, p.text, []),
                )
    index = PostgresIndex(url)  # applies migration 003: the data stays, postings are not there yet
    with pytest.raises(IndexOutdated, match="glossary upgrade --database"):
        index.snapshot()
    result = CliRunner().invoke(main, ["upgrade", "--glossary", str(glossary_file), "--database", url, "--quiet"])
    assert result.exit_code == 0 and "3 documents matched" in result.output, result.output
    assert postings_of(index) == full_match(index) and postings_of(index)["digital-twin"]
    with index.snapshot() as snap:
        assert Store(snap).counts().passages == 7
    index.close()


# -- a stream of writes with concurrent lookups, through real gunicorn workers ------------------
def test_once_a_write_returned_every_lookup_sees_it(server: Any) -> None:
    import threading

    import requests

    auth = {"Authorization": f"Bearer {TOKEN}"}
    acknowledged: dict[str, float] = {}  # doc id -> when its PUT returned
    deleted: dict[str, float] = {}  # doc id -> when its DELETE returned
    deleting: set[str] = set()  # doc ids whose DELETE was sent
    problems: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        session = requests.Session()
        for _ in range(2000):  # bounded
            if stop.is_set():
                return
            started = time.monotonic()
            seen_now = dict(acknowledged)
            gone_now = dict(deleted)
            r = session.get(
                f"{server.url}/api/terms/digital-twin/passages?limit=1000", headers={"Connection": "close"}, timeout=30
            )
            if r.status_code != 200:
                problems.append(f"status {r.status_code}")
                continue
            docs = {p["doc"] for p in r.json()["passages"]}
            for doc_id, at in seen_now.items():
                if at < started and doc_id not in deleting and doc_id not in docs:
                    problems.append(f"{doc_id} missing after its write returned")
            for doc_id, at in gone_now.items():
                if at < started and doc_id in docs:
                    problems.append(f"{doc_id} still served after its delete returned")

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for n in range(25):
            doc_id = f"stream/doc-{n}"
            r = requests.put(
                f"{server.url}/api/documents/{doc_id}",
                json={"text": f"Digital twin number {n}."},
                headers=auth,
                timeout=30,
            )
            assert r.status_code == 201
            acknowledged[doc_id] = time.monotonic()
            if n % 3 == 0:
                deleting.add(doc_id)
                assert (
                    requests.delete(f"{server.url}/api/documents/{doc_id}", headers=auth, timeout=30).status_code == 204
                )
                deleted[doc_id] = time.monotonic()
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert problems == []
    final = requests.get(f"{server.url}/api/terms/digital-twin/passages?limit=1000", timeout=30).json()
    assert {p["doc"] for p in final["passages"]} >= {d for d in acknowledged if d not in deleted}


def test_an_index_that_disappears_answers_503_with_the_error_body(
    index_dir: Path, glossary_file: Path, corpus_dir: Path
) -> None:
    from service import create_app

    app = create_app(
        {
            "GLOSSARY_PATH": str(glossary_file),
            "CORPUS_DIR": str(corpus_dir),
            "INDEX_DIR": str(index_dir),
            "GLOSSARY_POLL_SECONDS": 0.0,
            "BACKGROUND_WRITER_SECONDS": 0.0,
            "TESTING": True,
        }
    )
    client = app.test_client()
    assert client.get("/api/terms/gpu/passages").status_code == 200
    (index_dir / "current").unlink()
    r = client.get("/api/terms/gpu/passages")
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.get_json()["error"]["code"] == "index_unavailable" and "glossary build" in r.get_json()["error"]["message"]
    app.extensions["glossary"].index.close()


WRITE_MANY = """
import sys
from index.backends.whoosh import WhooshIndex
from index.corpus import parse_document
index = WhooshIndex(sys.argv[1])
for n in range(int(sys.argv[2])):
    text = f"---\\ntitle: Note {n}\\n---\\nA GPU cluster for sovereign AI, note {n}.\\n"
    index.write(put=[parse_document(f"notes/n{n % 3}.md", text)])
"""


def test_a_reader_opening_the_index_while_the_writer_commits_gets_a_whole_generation(index_dir: Path) -> None:
    """A worker that starts (or sees a new generation) while the writer process commits: whoosh
    finds the newest TOC, and the commit deletes it before it is read. It reads the newer one."""
    writer = subprocess.Popen([sys.executable, "-c", WRITE_MANY, str(index_dir), "150"], cwd=ROOT)
    opened = 0
    try:
        for _ in range(100_000):  # bounded; ends when the writer does
            if writer.poll() is not None:
                break
            with WhooshIndex(index_dir).snapshot() as snap:  # a fresh reader: opens the folder
                assert snap.state.glossary_version
            opened += 1
    finally:
        writer.wait(timeout=120)
    assert writer.returncode == 0 and opened > 50


# -- matches read back from postings are in the matcher's order ---------------------------------
NESTED = parse_glossary(
    """terms:
  - {id: gpu, term: GPU, definition: d}
  - {id: gpu-cluster, term: GPU cluster, definition: d}
  - {id: farm, term: server farm, definition: d}
"""
)
NESTED_DOC = parse_document("farm", "# Farm\n\nThe GPU clusters near the old farm. A GPU cluster, then a GPU.\n")


def nested_read_back_in_order_and_a_rematch_changes_nothing(index: PassageIndex) -> None:
    index.replace_all([NESTED_DOC], NESTED)
    with index.snapshot() as snap:
        ((_, read_back),) = snap.document_passages("farm")
    fresh = tuple(matcher_for(NESTED).match(NESTED_DOC.passages[0].text))
    assert [(m.term, m.start) for m in fresh][:2] == [("gpu-cluster", 4), ("gpu", 4)]  # longer first
    assert read_back == fresh
    # The document is a candidate of this edit ("farm") but its matches stay: nothing is rewritten.
    edited = parse_glossary(NESTED.text.replace("term: server farm", "term: server farm, aliases: [GPU farm]"))
    report = index.rematch(edited)
    assert (report.documents_checked, report.documents_changed) == (1, 0)


def test_whoosh_reads_matches_back_in_the_matchers_order(tmp_path: Path) -> None:
    nested_read_back_in_order_and_a_rematch_changes_nothing(WhooshIndex(tmp_path / "ix"))


def test_postgres_reads_matches_back_in_the_matchers_order(postgres: PostgresServer) -> None:
    index = PostgresIndex(postgres.new_database())
    nested_read_back_in_order_and_a_rematch_changes_nothing(index)
    # Every document matched again with the same glossary: none of them changed.
    report = index.rematch(index_glossary(index), everything=True)
    assert (report.documents_checked, report.documents_changed) == (1, 0)
    index.close()


def index_glossary(index: PassageIndex) -> Glossary:
    with index.snapshot() as snap:
        return parse_glossary(snap.state.glossary_text)
