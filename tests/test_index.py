"""A real whoosh index on disk: build, look up, update incrementally, switch, glossary edits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.corpus import read_corpus
from index.durable import exclusive_lock
from index.errors import WriterBusy
from index.glossary import load_glossary, parse_glossary
from index.library import Library
from index.store import PassageFilter, Store
from index.whoosh_backend import LOCK, WhooshIndex, rebuild

ROOT = Path(__file__).resolve().parents[1]


def passage_ids(store: Store, term_id: str) -> list[str]:
    return [h.passage.id for h in store.hits(store.term(term_id))]


@pytest.fixture
def store(index_dir: Path, glossary_file: Path) -> Store:
    return Store(WhooshIndex(index_dir), load_glossary(glossary_file))


def test_term_passages_newest_first_with_spans(store: Store) -> None:
    hits = store.hits(store.term("digital-twin"))
    assert [h.passage.id for h in hits] == ["gamma:1", "alpha:1", "sub/beta:3"]
    alpha = hits[1]
    assert [(alpha.passage.text[m.start:m.end], m.rule) for m in alpha.matches] == [
        ("digital twin", "exact"), ("digital twins", "inflection")]
    assert hits[0].matches[0].label == "디지털 트윈"


def test_counts_filters_and_usage(store: Store) -> None:
    assert (store.counts().documents, store.counts().passages) == (3, 7)
    usage = store.usage(store.term("digital-twin"))
    assert (usage.passages, usage.documents, usage.first_seen, usage.last_seen) == (3, 3, "2025-01-10", "2025-03-05")
    total, hits = store.term_passages(store.term("digital-twin"), PassageFilter(lang="ko"))
    assert total == 1 and hits[0].passage.id == "gamma:1"
    total, _ = store.term_passages(store.term("digital-twin"), PassageFilter(since="2025-02-01"))
    assert total == 1


def test_incremental_update_adds_changes_and_removes(store: Store, corpus_dir: Path, index_dir: Path) -> None:
    library = Library(corpus_dir, store.index, index_dir)
    (corpus_dir / "new.md").write_text("---\ndate: 2025-06-01\n---\nA GPU cluster of GPUs.\n")
    (corpus_dir / "alpha.md").write_text("---\ndate: 2025-01-10\n---\nNo twins here any more.\n")
    (corpus_dir / "sub" / "beta.txt").unlink()
    report = library.sync()
    assert (report.added, report.changed, report.removed, report.unchanged) == (["new"], ["alpha"], ["sub/beta"], 1)
    assert passage_ids(store, "digital-twin") == ["gamma:1"]
    assert passage_ids(store, "gpu") == ["new:1"]
    assert library.sync().unchanged == 3  # nothing left to do


def test_sync_skips_and_reports_a_document_that_does_not_parse(store: Store, corpus_dir: Path, index_dir: Path) -> None:
    (corpus_dir / "bad.md").write_text("---\ndate: someday\n---\nA GPU.\n")
    (corpus_dir / "good.md").write_text("---\ndate: 2025-06-01\n---\nA GPU.\n")
    report = Library(corpus_dir, store.index, index_dir).sync()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert report.added == ["good"] and "date" in reasons["bad.md"]
    assert passage_ids(store, "gpu") == ["good:1", "alpha:2", "sub/beta:2"]


def test_unreadable_file_keeps_its_last_indexed_version(store: Store, corpus_dir: Path, index_dir: Path) -> None:
    (corpus_dir / "alpha.md").write_bytes(b"\xff\xfe broken")
    report = Library(corpus_dir, store.index, index_dir).sync()
    assert report.removed == [] and any(s.path.endswith("alpha.md") for s in report.skipped)
    assert "alpha:1" in passage_ids(store, "digital-twin")


def test_glossary_edit_shows_without_reindexing(store: Store, glossary_file: Path) -> None:
    version = store.index.version()
    assert passage_ids(store, "gpu") == ["alpha:2", "sub/beta:2"]
    text = glossary_file.read_text().replace("    term: GPU\n", "    term: GPU\n    aliases: [old name]\n")
    store.use_glossary(parse_glossary(text))
    assert passage_ids(store, "gpu") == ["alpha:2", "sub/beta:1", "sub/beta:2"]
    assert store.index.version() == version


def test_rebuild_switches_readers_to_the_new_generation(store: Store, index_dir: Path, tmp_path: Path) -> None:
    old_target = os.readlink(index_dir / "current")
    assert passage_ids(store, "gpu")
    other = tmp_path / "other"
    other.mkdir()
    (other / "one.md").write_text("Only an AI factory here.\n")
    rebuild(index_dir, read_corpus(other))
    assert os.readlink(index_dir / "current") != old_target
    assert not (index_dir / old_target).exists()
    assert passage_ids(store, "gpu") == []
    assert passage_ids(store, "ai-factory") == ["one:1"]


def test_a_second_writer_fails_clearly_and_changes_nothing(store: Store, corpus_dir: Path, index_dir: Path) -> None:
    library = Library(corpus_dir, store.index, index_dir)
    with exclusive_lock(index_dir / LOCK):
        with pytest.raises(WriterBusy, match="another process is writing"):
            library.put("x", "A GPU.", {}, wait_seconds=0.2)
        with pytest.raises(WriterBusy):
            rebuild(index_dir, [])
    assert store.index.get_document("x") is None or passage_ids(store, "gpu")  # index still readable
    library.put("y", "A GPU again.", {}, wait_seconds=1)
    assert "y:1" in passage_ids(store, "gpu")


def test_put_and_delete_documents_are_durable_files_and_index_entries(store: Store, corpus_dir: Path,
                                                                     index_dir: Path) -> None:
    library = Library(corpus_dir, store.index, index_dir)
    doc, created = library.put("news/one", "An AI factory opened.", {"title": "One", "date": "2025-07-01"})
    assert created and (corpus_dir / "news" / "one.md").read_text().startswith("---\ntitle: One\n")
    assert passage_ids(store, "ai-factory")[0] == "news/one:1"
    fresh = WhooshIndex(index_dir)  # another process's view
    assert fresh.get_document("news/one").title == "One"
    library.delete("news/one")
    assert not (corpus_dir / "news" / "one.md").exists()
    assert "news/one:1" not in passage_ids(store, "ai-factory")
    assert fresh.get_document("news/one") is None


def test_seed_articles_exact_passages_per_term(seeds_dir: Path, tmp_path: Path) -> None:
    rebuild(tmp_path / "ix", read_corpus(seeds_dir))
    store = Store(WhooshIndex(tmp_path / "ix"), load_glossary(ROOT / "glossary.yaml"))
    a, b, c, d = "000_c03b87fe80d07430", "001_3fa1203bdbb9ef13", "002_b644465e78c96992", "003_948cb905883bb7de"
    expected = {
        "sovereign-ai": {f"{a}:5", f"{a}:6", f"{b}:1", f"{b}:5", f"{b}:7", f"{b}:11", f"{c}:1", f"{c}:7", f"{c}:11",
                         f"{d}:3", f"{d}:6"},
        "physical-ai": {f"{a}:4", f"{a}:5", f"{a}:7"},
        "digital-twin": {f"{d}:2", f"{d}:5", f"{a}:4"},
        "ai-factory": {f"{a}:3"},
    }
    for term_id, passages in expected.items():
        assert set(passage_ids(store, term_id)) == passages, term_id
    plural = [m for h in store.hits(store.term("digital-twin")) for m in h.matches if m.rule == "inflection"]
    assert {h.passage.text[m.start:m.end] for h in store.hits(store.term("digital-twin")) for m in h.matches} >= {"digital twins"}
    assert plural


def test_one_corpus_pass_gives_every_term_the_hits_its_own_lookup_gives(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A broad term's lookup switches to one pass that fills every term's cache; both ways
    # must give the same passages and spans for every term.
    documents = [*read_corpus(seeds_dir), *read_corpus(ROOT / "corpus")]
    rebuild(tmp_path / "ix", documents)
    glossary = load_glossary(ROOT / "glossary.yaml")

    def every_term(store: Store) -> dict[str, list[tuple[str, tuple[tuple[int, int], ...]]]]:
        return {t.id: [(h.passage.id, tuple((m.start, m.end) for m in h.matches)) for h in store.hits(t)]
                for t in glossary.terms}

    monkeypatch.setattr("index.store._MIN_PASS_BUDGET", 10**9)
    one_by_one = every_term(Store(WhooshIndex(tmp_path / "ix"), glossary))
    monkeypatch.setattr("index.store._MIN_PASS_BUDGET", 0)
    store = Store(WhooshIndex(tmp_path / "ix"), glossary)
    store.hits(glossary.get("gpu"))
    assert len(store._hits) == len(glossary.terms)  # one lookup cached every term
    in_one_pass = every_term(store)
    assert in_one_pass == one_by_one
    assert sum(len(v) for v in one_by_one.values()) > 50  # the corpora do use the glossary
    # After a glossary edit most terms stay cached: the edited term is looked up on its own.
    edited = parse_glossary((ROOT / "glossary.yaml").read_text().replace(
        "    aliases: [AI sovereignty]", "    aliases: [AI sovereignty, sovereign compute]"))
    store.use_glossary(edited)
    monkeypatch.setattr(store.index, "all_passages", lambda: pytest.fail("a corpus pass after a one-term edit"))
    assert [p for p, _ in every_term(store)["sovereign-ai"]] == [p for p, _ in one_by_one["sovereign-ai"]]
