"""A real whoosh index on disk: build, postings, incremental updates, switches, glossary edits."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
import whoosh.index

from index.backends import whoosh as whoosh_backend
from index.backends.whoosh import LOCK, WhooshIndex
from index.corpus import parse_document, read_corpus
from index.durable import exclusive_lock
from index.errors import IndexOutdated, WriterBusy
from index.glossary import Glossary
from index.library import Library
from index.postings import PassageFilter
from index.store import Store
from index.vocabulary import load_glossary, parse_glossary
from tests.support.postings import full_match, passage_ids, postings_of
from tests.support.synth import FUTURE_ALIAS, generate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def index(index_dir: Path) -> WhooshIndex:
    return WhooshIndex(index_dir)


def store_of(index: WhooshIndex) -> Store:
    return Store(index.snapshot())


def test_term_passages_newest_first_with_spans(index: WhooshIndex) -> None:
    store = store_of(index)
    hits = store.all_hits(store.term("digital-twin"))
    assert [h.passage.id for h in hits] == ["gamma:1", "alpha:1", "sub/beta:3"]
    alpha = hits[1]
    assert [(alpha.passage.text[m.start : m.end], m.rule) for m in alpha.matches] == [
        ("digital twin", "exact"),
        ("digital twins", "inflection"),
    ]
    assert hits[0].matches[0].label == "디지털 트윈"


def test_counts_filters_and_usage(index: WhooshIndex) -> None:
    store = store_of(index)
    assert (store.counts().documents, store.counts().passages) == (3, 7)
    usage = store.usage(store.term("digital-twin"))
    assert (usage.passages, usage.documents, usage.first_seen, usage.last_seen) == (3, 3, "2025-01-10", "2025-03-05")
    total, hits = store.term_passages(store.term("digital-twin"), PassageFilter(lang="ko"))
    assert total == 1 and hits[0].passage.id == "gamma:1"
    total, _ = store.term_passages(store.term("digital-twin"), PassageFilter(since="2025-02-01"))
    assert total == 1


def test_incremental_update_adds_changes_and_removes(index: WhooshIndex, corpus_dir: Path, index_dir: Path) -> None:
    library = Library(corpus_dir, index, index_dir)
    (corpus_dir / "new.md").write_text("---\ndate: 2025-06-01\n---\nA GPU cluster of GPUs.\n")
    (corpus_dir / "alpha.md").write_text("---\ndate: 2025-01-10\n---\nNo twins here any more.\n")
    (corpus_dir / "sub" / "beta.txt").unlink()
    report = library.sync()
    assert (report.added, report.changed, report.removed, report.unchanged) == (["new"], ["alpha"], ["sub/beta"], 1)
    assert passage_ids(index, "digital-twin") == ["gamma:1"]
    assert passage_ids(index, "gpu") == ["new:1"]
    assert library.sync().unchanged == 3  # nothing left to do
    assert postings_of(index) == full_match(index)


def test_sync_skips_and_reports_a_document_that_does_not_parse(
    index: WhooshIndex, corpus_dir: Path, index_dir: Path
) -> None:
    (corpus_dir / "bad.md").write_text("---\ndate: someday\n---\nA GPU.\n")
    (corpus_dir / "good.md").write_text("---\ndate: 2025-06-01\n---\nA GPU.\n")
    report = Library(corpus_dir, index, index_dir).sync()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert report.added == ["good"] and "date" in reasons["bad.md"]
    assert passage_ids(index, "gpu") == ["good:1", "alpha:2", "sub/beta:2"]


def test_unreadable_file_keeps_its_last_indexed_version(index: WhooshIndex, corpus_dir: Path, index_dir: Path) -> None:
    (corpus_dir / "alpha.md").write_bytes(b"\xff\xfe broken")
    report = Library(corpus_dir, index, index_dir).sync()
    assert report.removed == [] and any(s.path.endswith("alpha.md") for s in report.skipped)
    assert "alpha:1" in passage_ids(index, "digital-twin")


def test_glossary_edit_rematches_only_what_it_touches_in_one_commit(index: WhooshIndex, glossary_file: Path) -> None:
    assert passage_ids(index, "gpu") == ["alpha:2", "sub/beta:2"]
    pinned = index.snapshot()  # a reader in the middle of a request
    text = glossary_file.read_text().replace("    term: GPU\n", "    term: GPU\n    aliases: [old name]\n")
    report = index.rematch(parse_glossary(text))
    assert (report.documents_checked, report.documents_changed, report.rebuilt) == (1, 1, False)  # only sub/beta
    assert passage_ids(index, "gpu") == ["alpha:2", "sub/beta:1", "sub/beta:2"]
    assert index.state().glossary_version == parse_glossary(text).version
    # The pinned reader still answers with the old glossary and the old postings, together.
    old = Store(pinned)
    assert old.glossary.version != index.state().glossary_version
    assert [h.passage.id for h in old.all_hits(old.term("gpu"))] == ["alpha:2", "sub/beta:2"]
    pinned.close()
    assert postings_of(index) == full_match(index)


def test_a_definition_edit_stores_the_glossary_without_rematching(index: WhooshIndex, glossary_file: Path) -> None:
    text = glossary_file.read_text().replace("A graphics processing unit.", "A graphics processor.")
    report = index.rematch(parse_glossary(text))
    assert (report.documents_checked, report.documents_changed) == (0, 0)
    assert store_of(index).term("gpu").definition == "A graphics processor."


def test_an_index_made_by_an_older_release_is_refused_with_the_command_to_run(tmp_path: Path, corpus_dir: Path) -> None:
    import whoosh.index
    from whoosh.fields import ID, STORED, Schema

    old = tmp_path / "old"
    (old / "gen-1").mkdir(parents=True)
    ix = whoosh.index.create_in(str(old / "gen-1"), Schema(doc=ID(stored=True, unique=True), body=STORED()))
    ix.writer().commit()
    os.symlink("gen-1", old / "current")
    with pytest.raises(IndexOutdated, match="glossary upgrade"):
        WhooshIndex(old).version()  # opening is lazy: the first read finds out


def test_rebuild_switches_readers_to_the_new_generation(
    index: WhooshIndex, index_dir: Path, tmp_path: Path, glossary_file: Path
) -> None:
    old_target = os.readlink(index_dir / "current")
    assert passage_ids(index, "gpu")
    other = tmp_path / "other"
    other.mkdir()
    (other / "one.md").write_text("Only an AI factory here.\n")
    WhooshIndex(index_dir).replace_all(read_corpus(other), load_glossary(glossary_file))
    assert os.readlink(index_dir / "current") != old_target
    assert not (index_dir / old_target).exists()
    assert passage_ids(index, "gpu") == []
    assert passage_ids(index, "ai-factory") == ["one:1"]


def test_a_reader_sees_each_commit_through_the_generations_mark(
    index: WhooshIndex, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers compare the commit mark with their own commit (a readlink per request); where the
    mark is missing (an older release) or behind (a writer killed before marking), whoosh's own
    check still finds the commit, within VERIFY_SECONDS."""
    writer = WhooshIndex(index_dir)
    gen = index_dir / os.readlink(index_dir / "current")
    assert "one:1" not in passage_ids(index, "gpu")  # the reader is pinned to a commit
    writer.write(put=[parse_document("one", "A GPU.")])
    marked = int(os.readlink(gen / whoosh_backend.COMMITTED))
    assert marked == whoosh.index.open_dir(str(gen)).latest_generation()
    assert "one:1" in passage_ids(index, "gpu")

    (gen / whoosh_backend.COMMITTED).unlink()  # an index from before marks
    monkeypatch.setattr(whoosh_backend, "mark_committed", lambda gen: None)  # ... or a writer killed before marking
    writer.write(put=[parse_document("two", "A GPU.")])
    assert "two:1" in passage_ids(index, "gpu")  # no mark: whoosh's check at once
    monkeypatch.undo()

    writer.write(put=[parse_document("three", "A GPU.")])  # marked again
    assert "three:1" in passage_ids(index, "gpu")
    monkeypatch.setattr(whoosh_backend, "mark_committed", lambda gen: None)
    writer.write(put=[parse_document("four", "A GPU.")])  # committed, its mark left behind
    deadline = time.monotonic() + 5 * whoosh_backend.VERIFY_SECONDS
    while "four:1" not in passage_ids(index, "gpu"):
        assert time.monotonic() < deadline, "a commit behind its mark was never served"
        time.sleep(0.05)
    monkeypatch.undo()
    writer.write(delete=["one"])  # the next write marks the folder again
    assert int(os.readlink(gen / whoosh_backend.COMMITTED)) == whoosh.index.open_dir(str(gen)).latest_generation()
    served = passage_ids(index, "gpu")
    assert "one:1" not in served and {"two:1", "three:1", "four:1"} <= set(served)


def test_a_second_writer_fails_clearly_and_changes_nothing(
    index: WhooshIndex, corpus_dir: Path, index_dir: Path, glossary_file: Path
) -> None:
    library = Library(corpus_dir, index, index_dir)
    with exclusive_lock(index_dir / LOCK):
        with pytest.raises(WriterBusy, match="another process is writing"):
            library.put("x", "A GPU.", {}, wait_seconds=0.2)
        with pytest.raises(WriterBusy):
            WhooshIndex(index_dir).replace_all([], load_glossary(glossary_file))
    with index.snapshot() as snap:
        assert snap.get_document("x") is None and passage_ids(index, "gpu")  # index still readable
    library.put("y", "A GPU again.", {}, wait_seconds=1)
    assert "y:1" in passage_ids(index, "gpu")


def test_put_and_delete_documents_are_durable_files_and_index_entries(
    index: WhooshIndex, corpus_dir: Path, index_dir: Path
) -> None:
    library = Library(corpus_dir, index, index_dir)
    doc, created = library.put("news/one", "An AI factory opened.", {"title": "One", "date": "2025-07-01"})
    assert created and (corpus_dir / "news" / "one.md").read_text().startswith("---\ntitle: One\n")
    assert passage_ids(index, "ai-factory")[0] == "news/one:1"
    fresh = WhooshIndex(index_dir)  # another process's view
    with fresh.snapshot() as snap:
        assert snap.get_document("news/one").title == "One"
    library.delete("news/one")
    assert not (corpus_dir / "news" / "one.md").exists()
    assert "news/one:1" not in passage_ids(index, "ai-factory")
    with fresh.snapshot() as snap:
        assert snap.get_document("news/one") is None
    assert postings_of(index) == full_match(index)


def test_seed_articles_exact_passages_per_term(seeds_dir: Path, tmp_path: Path) -> None:
    WhooshIndex(tmp_path / "ix").replace_all(read_corpus(seeds_dir), load_glossary(ROOT / "glossary.yaml"))
    index = WhooshIndex(tmp_path / "ix")
    store = store_of(index)
    a, b, c, d = "000_c03b87fe80d07430", "001_3fa1203bdbb9ef13", "002_b644465e78c96992", "003_948cb905883bb7de"
    expected = {
        "sovereign-ai": {
            f"{a}:5",
            f"{a}:6",
            f"{b}:1",
            f"{b}:5",
            f"{b}:7",
            f"{b}:11",
            f"{c}:1",
            f"{c}:7",
            f"{c}:11",
            f"{d}:3",
            f"{d}:6",
        },
        "physical-ai": {f"{a}:4", f"{a}:5", f"{a}:7"},
        "digital-twin": {f"{d}:2", f"{d}:5", f"{a}:4"},
        "ai-factory": {f"{a}:3"},
    }
    for term_id, passages in expected.items():
        assert set(passage_ids(index, term_id)) == passages, term_id
    hits = store.all_hits(store.term("digital-twin"))
    assert any(m.rule == "inflection" for h in hits for m in h.matches)
    assert {h.passage.text[m.start : m.end] for h in hits for m in h.matches} >= {"digital twins"}


def test_postings_of_real_articles_equal_a_full_match_and_survive_a_big_edit(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = [*read_corpus(seeds_dir), *read_corpus(ROOT / "corpus")]
    glossary = load_glossary(ROOT / "glossary.yaml")
    WhooshIndex(tmp_path / "ix").replace_all(documents, glossary)
    index = WhooshIndex(tmp_path / "ix")
    first = postings_of(index)
    assert first == full_match(index)
    assert sum(len(v) for v in first.values()) > 50  # the corpora do use the glossary
    # An alias made of a common word: more than the aside share of documents are candidates,
    # so everything is re-matched into a new generation and switched in (at any corpus size).
    monkeypatch.setattr("index.backends.whoosh.ASIDE_MIN_DOCUMENTS", 0)
    target = os.readlink(tmp_path / "ix" / "current")
    edited = parse_glossary(
        (ROOT / "glossary.yaml")
        .read_text()
        .replace("    aliases: [AI sovereignty]", "    aliases: [AI sovereignty, governments]")
    )
    report = index.rematch(edited)
    assert report.rebuilt and os.readlink(tmp_path / "ix" / "current") != target
    after = postings_of(index)
    assert after == full_match(index)
    assert len(after["sovereign-ai"]) > len(first["sovereign-ai"])
    assert {t: v for t, v in after.items() if t != "sovereign-ai"} == {
        t: v for t, v in first.items() if t != "sovereign-ai"
    }


@pytest.fixture
def synth_index(tmp_path: Path) -> Path:
    """600 passages of bench/synth.py text (in 60 documents), indexed with the project's glossary."""
    corpus = tmp_path / "corpus"
    generate(load_glossary(ROOT / "glossary.yaml"), 600, corpus, seed=3)
    WhooshIndex(tmp_path / "ix").replace_all(read_corpus(corpus), load_glossary(ROOT / "glossary.yaml"))
    return tmp_path / "ix"


def with_future_alias() -> Glossary:
    """The project's glossary with an alias that synth plants in about 1% of the passages."""
    text = (ROOT / "glossary.yaml").read_text()
    return parse_glossary(
        text.replace("    aliases: [AI sovereignty]", f"    aliases: [AI sovereignty, {FUTURE_ALIAS}]")
    )


def test_a_full_rematch_that_changes_few_documents_rewrites_them_in_place_while_writes_go_on(
    synth_index: Path,
) -> None:
    """Every document is matched again against its postings without the write lock; the few that
    change are rewritten in one commit; a document written meanwhile is matched with the new glossary."""
    index = WhooshIndex(synth_index)
    target = os.readlink(synth_index / "current")
    before = postings_of(index)
    written: list[str] = []

    def write_once(done: int, total: int) -> None:
        if not written:  # in the scan: the write does not wait for the lock
            WhooshIndex(synth_index).write(put=[parse_document("late", f"A {FUTURE_ALIAS} at last.")], wait_seconds=1)
            written.append("late")

    report = index.rematch(with_future_alias(), progress=write_once, everything=True)
    assert written and not report.rebuilt and os.readlink(synth_index / "current") == target
    assert report.documents_checked == 60 and 0 < report.documents_changed < 60
    after = postings_of(index)
    assert after == full_match(index)
    assert "late:1" in [p for p, _ in after["sovereign-ai"]]
    assert len(after["sovereign-ai"]) > len(before["sovereign-ai"]) + 1
    assert {t: v for t, v in after.items() if t != "sovereign-ai"} == {
        t: v for t, v in before.items() if t != "sovereign-ai"
    }
    assert index.state().glossary_version == with_future_alias().version


def test_a_full_rematch_that_changes_many_documents_builds_a_generation_aside(
    synth_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whoosh_backend, "ASIDE_MIN_DOCUMENTS", 0)
    monkeypatch.setattr(whoosh_backend, "ASIDE_SHARE", 0.01)  # more than one document changing is many
    index = WhooshIndex(synth_index)
    target = os.readlink(synth_index / "current")
    report = index.rematch(with_future_alias(), everything=True)
    assert report.rebuilt and os.readlink(synth_index / "current") != target
    assert postings_of(index) == full_match(index)
    assert index.state().glossary_version == with_future_alias().version


def test_a_full_rematch_that_changes_nothing_writes_only_the_state(synth_index: Path) -> None:
    index = WhooshIndex(synth_index)
    before = postings_of(index)
    report = index.rematch(load_glossary(ROOT / "glossary.yaml"), everything=True)
    assert (report.documents_checked, report.documents_changed, report.rebuilt) == (60, 0, False)
    assert postings_of(index) == before == full_match(index)


def test_threads_reading_one_index_at_once_each_get_whole_answers(synth_index: Path) -> None:
    """whoosh reads its files by seek then read: two threads on one searcher garble each other's
    reads. Each snapshot in use has a searcher of its own (a request thread, the writer's thread)."""
    index = WhooshIndex(synth_index)
    store = Store(index.snapshot())
    terms = [term for term in store.glossary if store.all_hits(term)]
    expected = {term.id: [(h.passage.id, h.matches) for h in store.all_hits(term)] for term in terms}
    store.snapshot.close()
    failures: list[BaseException] = []

    def read(rounds: int) -> None:
        for _ in range(rounds):  # bounded: a few hundred pages of every term
            for term in terms:
                local = Store(index.snapshot())
                try:
                    assert [(h.passage.id, h.matches) for h in local.all_hits(term)] == expected[term.id]
                except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                    failures.append(exc)
                    return
                finally:
                    local.snapshot.close()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside whoosh's reads
    try:
        threads = [threading.Thread(target=read, args=(20,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    index.close()
    assert failures == []
