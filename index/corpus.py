"""Reading documents: a folder of .md/.txt files, front matter, passages."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import DocumentError, YamlRejected
from index.safe_yaml import parse_yaml
from index.text import is_hangul

DOCUMENT_SUFFIXES = (".md", ".txt")
MAX_DOCUMENT_BYTES = 5_000_000
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_FENCE = re.compile(r"^(```|~~~)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(?:https?|mailto):[^>]*>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
META_FIELDS = ("title", "date", "source", "url", "lang", "author", "fetched")  # fetched: when taken from `url`


@dataclass(frozen=True)
class Passage:
    """One paragraph of a document: the unit that terms are found in."""

    id: str
    doc: str
    ordinal: int
    text: str


@dataclass(frozen=True)
class Document:
    """A document with its metadata and passages."""

    id: str
    body: str
    title: str = ""
    date: str | None = None
    source: str | None = None
    url: str | None = None
    lang: str = "en"
    passages: tuple[Passage, ...] = field(default=(), compare=False)
    checksum: str = ""
    markdown: bool = True
    fetched: str | None = None  # ISO date and time the text was fetched from `url`
    author: str | None = None

    def meta(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "url": self.url,
            "lang": self.lang,
        }


def passage_id(doc_id: str, ordinal: int) -> str:
    return f"{doc_id}:{ordinal}"


def validate_document_id(doc_id: str) -> str:
    """A document id is a relative path without extension: safe segments, no `..`."""
    if not isinstance(doc_id, str) or not doc_id or len(doc_id) > 300:
        raise DocumentError("a document id is 1 to 300 characters")
    segments = doc_id.split("/")
    if any(not _SEGMENT.match(s) or s in (".", "..") or ".." in s for s in segments):
        raise DocumentError(
            "a document id is made of path segments of letters, digits, '.', '_' and '-', "
            "separated by '/', with no '..'"
        )
    return doc_id


def detect_lang(text: str) -> str:
    letters = [ch for ch in text[:4000] if ch.isalpha()]
    if not letters:
        return "en"
    return "ko" if sum(map(is_hangul, letters)) / len(letters) > 0.3 else "en"


def _normalise_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    full = text if len(text) == 10 else text + "-01"  # a month (2025-05) counts from its first day
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(full).isoformat()
    except ValueError:
        pass  # a well-formed but impossible date (2025-02-30) falls through to the error
    raise DocumentError(f"date {text!r} is not a date like 2025-05-22")


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """(metadata, body); metadata is validated to the fields we know."""
    found = _FRONT_MATTER.match(raw)
    if not found:
        return {}, raw
    try:
        data, _ = parse_yaml(found.group(1), max_bytes=64_000, fast=True)
    except YamlRejected as exc:
        raise DocumentError(f"front matter: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DocumentError("front matter must be a mapping")
    unknown = sorted(set(map(str, data)) - set(META_FIELDS))
    if unknown:
        raise DocumentError(f"front matter: unknown field(s) {', '.join(unknown)}")
    return data, raw[found.end() :]


def paragraphs(body: str, markdown: bool = True) -> list[str]:
    """Passage texts: blank-line separated paragraphs without markup.

    A text with no blank line at all (as many plain-text exports are) is one paragraph a line.
    """
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if markdown:
        body = _HTML_COMMENT.sub("", body)
    lines = body.split("\n")
    one_per_line = "\n\n" not in body.strip("\n")
    blocks: list[list[str]] = [[]]
    in_fence = False
    for line in lines:
        if markdown and _FENCE.match(line.strip()):
            in_fence = not in_fence
            blocks.append([])
            continue
        if in_fence:
            continue
        if markdown and line.lstrip().startswith("#"):
            blocks.append([])  # headings are titles, not passage text
            continue
        if not line.strip() or one_per_line:
            blocks.append([])
        if line.strip():
            blocks[-1].append(line.strip())
    texts = []
    for block in blocks:
        text = " ".join(block)
        if markdown:
            text = _AUTOLINK.sub("", _LINK.sub(r"\1", _IMAGE.sub("", text)))
            text = re.sub(r"[ \t]{2,}", " ", text).strip()  # where removed markup left a gap
        if text:
            texts.append(text)
    return texts


def parse_document(doc_id: str, raw: str, markdown: bool = True, meta: dict[str, Any] | None = None) -> Document:
    """Build a Document from its raw text (front matter included) or body plus `meta`."""
    validate_document_id(doc_id)
    if "\x00" in raw:
        raise DocumentError("not a text document (it contains NUL bytes)")
    data, body = split_front_matter(raw)
    data.update({k: v for k, v in (meta or {}).items() if v is not None})
    texts = paragraphs(body, markdown)
    lang = str(data.get("lang") or detect_lang(body))
    title = str(data.get("title") or "").strip() or _first_heading(body) or doc_id.rsplit("/", 1)[-1]
    return Document(
        id=doc_id,
        body=raw,
        title=title,
        date=_normalise_date(data.get("date")),
        source=str(data["source"]) if data.get("source") else None,
        url=str(data["url"]) if data.get("url") else None,
        lang=lang,
        passages=tuple(Passage(passage_id(doc_id, i), doc_id, i, t) for i, t in enumerate(texts, 1)),
        checksum=checksum_of(raw),
        markdown=markdown,
        fetched=str(data["fetched"]) if data.get("fetched") else None,
        author=str(data["author"]) if data.get("author") else None,
    )


def checksum_of(raw: str) -> str:
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _first_heading(body: str) -> str:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def decode_text(raw: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """Bytes to text, refusing what is too large, binary or not UTF-8."""
    if len(raw) > max_bytes:
        raise DocumentError(f"larger than the limit of {max_bytes} bytes")
    if b"\x00" in raw[:8192]:
        raise DocumentError("not a text file (binary content)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 (invalid byte at offset {exc.start})") from None
    return text.removeprefix("\ufeff")


@dataclass(frozen=True)
class Skipped:
    """A corpus file that was not read, and why."""

    path: str
    reason: str


def document_id_for(root: Path, path: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def corpus_files(root: str | Path) -> Iterator[Path]:
    """The document files below `root` in sorted path order, hidden files and folders left out.

    A generator that holds one folder's names at a time: a list of every Path costs ~0.4 KB
    a file (pathlib caches each path's parts), which made build memory grow with the corpus.
    Symlinked folders are not followed, so a link cannot make the walk loop.
    """
    yield from (Path(p) for p in _walk(os.fspath(root)))


def _walk(folder: str) -> Iterator[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:  # files and folders in one sorted list: the order of sorted full paths
        if name.startswith("."):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            if not os.path.islink(path):
                yield from _walk(path)
        elif os.path.splitext(name)[1].lower() in DOCUMENT_SUFFIXES and os.path.isfile(path):
            yield path


def count_corpus_files(root: str | Path) -> int:
    """How many documents `corpus_files` will yield (for progress bars)."""
    return sum(1 for _ in _walk(os.fspath(root)))


def read_text_file(path: Path) -> str:
    """A corpus file's text (raises DocumentError for anything we cannot take)."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"larger than the limit of {MAX_DOCUMENT_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror}") from None
    return decode_text(raw)


def read_document_file(root: Path, path: Path) -> Document:
    """Read and parse one corpus file."""
    return parse_document(document_id_for(root, path), read_text_file(path), path.suffix.lower() == ".md")


def read_corpus(root: str | Path, skipped: list[Skipped] | None = None) -> Iterator[Document]:
    """Every readable document below `root`; unreadable ones go to `skipped`, never raise."""
    root = Path(root)
    for path in corpus_files(root):
        try:
            yield read_document_file(root, path)
        except DocumentError as exc:
            if skipped is not None:
                skipped.append(Skipped(str(path), str(exc)))
