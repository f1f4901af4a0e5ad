"""Reading documents: front matter, markup stripped, passages, ids, files that are not text."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import (
    Skipped,
    corpus_files,
    count_corpus_files,
    paragraphs,
    parse_document,
    read_corpus,
    validate_document_id,
)
from index.errors import DocumentError


def test_markdown_document(corpus_dir: Path) -> None:
    docs = {d.id: d for d in read_corpus(corpus_dir)}
    alpha = docs["alpha"]
    assert (alpha.title, alpha.date, alpha.source, alpha.lang) == ("Alpha", "2025-01-10", "wire", "en")
    assert [p.text for p in alpha.passages] == [
        "Engineers built a digital twin of the plant, and later two more digital twins.",
        "The AI factory runs on GPUs.",
    ]
    assert [p.id for p in alpha.passages] == ["alpha:1", "alpha:2"]


def test_nested_text_file_without_blank_lines_is_one_passage_per_line(corpus_dir: Path) -> None:
    beta = next(d for d in read_corpus(corpus_dir) if d.id == "sub/beta")
    assert [p.text for p in beta.passages] == [
        "An AI plant was the old name.",
        "The GPU's fans were loud.",
        "A Digital-Twin again.",
    ]
    assert beta.date is None and beta.title == "beta"


def test_korean_document_language(corpus_dir: Path) -> None:
    gamma = next(d for d in read_corpus(corpus_dir) if d.id == "gamma")
    assert gamma.lang == "ko" and len(gamma.passages) == 2


def test_non_utf8_and_binary_files_are_skipped_and_reported(corpus_dir: Path) -> None:
    skipped: list[Skipped] = []
    ids = [d.id for d in read_corpus(corpus_dir, skipped)]
    assert sorted(ids) == ["alpha", "gamma", "sub/beta"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["blob.md"]


def test_corpus_files_walk_in_sorted_path_order_without_hidden_files_or_link_loops(tmp_path: Path) -> None:
    for name in ["b.md", "a.md", "a/z.txt", "a/b/c.md", "a-b.md", "A.TXT", "notes.rst", ".git/x.md", "a/.draft.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("text\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = corpus_files(tmp_path)
    assert not isinstance(found, list)  # lazy: one folder's names in memory at a time
    expected = ["A.TXT", "a/b/c.md", "a/z.txt", "a-b.md", "a.md", "b.md"]
    assert [p.relative_to(tmp_path).as_posix() for p in found] == expected
    assert expected == [p.as_posix() for p in sorted(Path(e) for e in expected)]  # what sorted paths give
    assert count_corpus_files(tmp_path) == 6


def test_huge_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "huge.txt").write_bytes(b"a" * 5_000_001)
    skipped: list[Skipped] = []
    assert list(read_corpus(tmp_path, skipped)) == []
    assert "larger than the limit" in skipped[0].reason


def test_paragraph_rules() -> None:
    body = (
        "Intro line\ncontinues here.\n\n## Heading\n\n"
        "See [the site](http://x) and ![img](a.png) <https://y>.\n\n<!-- hidden -->\n"
    )
    assert paragraphs(body) == ["Intro line continues here.", "See the site and ."]


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/../b", "/abs", "a//b", "a\nb", "", "a\x00b", ".hidden", "x" * 301])
def test_bad_document_ids(bad: str) -> None:
    with pytest.raises(DocumentError):
        validate_document_id(bad)


def test_front_matter_is_validated() -> None:
    with pytest.raises(DocumentError, match="unknown field"):
        parse_document("d", "---\nwriter: me\n---\ntext\n")
    with pytest.raises(DocumentError, match="not a date"):
        parse_document("d", "---\ndate: yesterday\n---\ntext\n")
    with pytest.raises(DocumentError, match="aliases|anchors"):
        parse_document("d", "---\ntitle: &a x\nsource: *a\n---\ntext\n")
