"""Plain text and metadata out of the formats teams collect: HTML articles and PDF files.

Articles: trafilatura (the main text without navigation, ads and boilerplate; title, author,
site and canonical URL from the page's metadata; the publication date through htmldate, which
reads JSON-LD, meta tags and the URL). PDF: pdfminer.six, whose layout analysis puts the text
boxes of a page in reading order, columns included (pypdf extracts text in content-stream order,
which interleaves two columns line by line). Paragraphs are rebuilt from text boxes: lines are
joined, words hyphenated at a line end are rejoined, and a paragraph cut by a page break is
joined to its end on the next page.

The result is plain text with paragraphs separated by blank lines, as a `.txt` corpus file
holds it: nothing from the source is ever rendered as HTML.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from index.corpus import detect_lang
from index.errors import ExtractionError

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Less than this is a menu or a cookie notice that the extractor fell back to, not an article.
MIN_MAIN_TEXT = 40
PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Extracted:
    text: str  # paragraphs separated by blank lines
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD, when published
    url: str | None = None  # canonical, when the source says
    site: str | None = None
    lang: str = "en"

    def meta(self) -> dict[str, str | None]:
        """The fields a corpus document keeps (front matter)."""
        return {
            "title": self.title,
            "date": self.date,
            "source": self.site,
            "url": self.url,
            "lang": self.lang,
            "author": self.author,
        }


def kind_of(raw: bytes, content_type: str | None = None) -> str:
    """ "pdf", "html" or "text", from the bytes first (a file may lie about its type)."""
    head = raw[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    media = (content_type or "").split(";")[0].strip().lower()
    if media == PDF_TYPE:
        raise ExtractionError("declared application/pdf, but the body is not a PDF file")
    if media in HTML_TYPES or re.match(rb"(?i)(<!doctype html|<html|<head|<body)", head):
        return "html"
    return "text"


# -- HTML ---------------------------------------------------------------------------------------
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_LANG = re.compile(r"""<html[^>]*?\slang\s*=\s*["']?([A-Za-z]{2,3})""", re.I)


def decode_html(raw: bytes, charset: str | None = None) -> str:
    """The page's text in the charset it declares (header first, then a meta tag), else UTF-8.

    A page that is not UTF-8 and declares no charset is refused, not guessed at.
    """
    declared = charset
    if not declared:
        found = _META_CHARSET.search(raw[:4096])
        declared = found.group(1).decode("ascii") if found else None
    try:
        return raw.decode(declared or "utf-8")
    except LookupError:
        raise ExtractionError(f"the page declares an unknown charset {declared!r}") from None
    except UnicodeDecodeError:
        if declared:
            raise ExtractionError(f"the page is not valid {declared}") from None
        raise ExtractionError("the page is not UTF-8 and declares no charset") from None


def from_html(raw: bytes, url: str | None = None, charset: str | None = None) -> Extracted:
    import trafilatura  # imported here: only ingest needs it (it loads lxml and dateparser)

    html = decode_html(raw, charset)
    try:
        found: Any = trafilatura.bare_extraction(  # a trafilatura Document (with_metadata, not as_dict)
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
    except Exception as exc:  # noqa: BLE001 - lxml and the date parsers raise many kinds on junk
        raise ExtractionError(f"the page cannot be parsed: {type(exc).__name__}") from None
    if found is None or not (found.text or "").strip():
        raise ExtractionError("the page has no main text")
    lines = [line.strip() for line in found.text.splitlines() if line.strip()]
    if lines and found.title and lines[0] == found.title.strip():
        lines = lines[1:]  # the headline: the document's title, not a passage
    if sum(len(line) for line in lines) < MIN_MAIN_TEXT:
        raise ExtractionError("the page has no main text (only navigation or boilerplate was found)")
    text = "\n\n".join(lines)
    declared_lang = _HTML_LANG.search(html[:4096])
    return Extracted(
        text=text,
        title=_clean(found.title),
        author=_clean(found.author),
        date=_clean(found.date),
        url=_clean(found.url) or url,
        site=_clean(found.sitename) or _clean(found.hostname),
        lang=declared_lang.group(1).lower() if declared_lang else detect_lang(text),
    )


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- PDF ----------------------------------------------------------------------------------------
# Lines up to one line height apart are one paragraph (pdfminer's default, half a line, splits
# text set with 1.5 line spacing into single lines); a blank line between paragraphs is more.
LAYOUT_LINE_MARGIN = 1.0
_SENTENCE_END = re.compile(r"""[.!?:;"'”’)\]]$""")
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.I)


def from_pdf(raw: bytes) -> Extracted:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextBox
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psparser import PSException

    LAYOUT = LAParams(line_margin=LAYOUT_LINE_MARGIN)
    if not raw.lstrip()[:5] == b"%PDF-":
        raise ExtractionError("not a PDF file")
    try:
        pages: list[list[str]] = []
        for page in extract_pages(io.BytesIO(raw), laparams=LAYOUT):
            found = [el for el in page if isinstance(el, LTTextBox)]
            boxes = [_box_text(el.get_text()) for el in _reading_order(found)]
            pages.append([b for b in boxes if b and not _PAGE_NUMBER.match(b)])
        info = PDFDocument(PDFParser(io.BytesIO(raw))).info
    except (PSException, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise ExtractionError(f"the PDF cannot be read: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds of errors on broken files
        raise ExtractionError(f"the PDF cannot be read: {type(exc).__name__}") from None
    paragraphs: list[str] = []
    for boxes in pages:
        for i, box in enumerate(boxes):
            # A paragraph that a page break cut: its first half has no sentence end, the rest
            # starts in lower case at the top of the next page.
            if i == 0 and paragraphs and not _SENTENCE_END.search(paragraphs[-1]) and box[:1].islower():
                paragraphs[-1] = f"{paragraphs[-1]} {box}"
            else:
                paragraphs.append(box)
    if not paragraphs:
        raise ExtractionError("the PDF has no text (a scan needs OCR first)")
    meta = _pdf_info(info[0] if info else {})
    text = "\n\n".join(paragraphs)
    return Extracted(
        text=text, title=meta.get("Title"), author=meta.get("Author"), date=_pdf_date(meta), lang=detect_lang(text)
    )


def _reading_order(boxes: list[Any]) -> list[Any]:
    """Top to bottom; where the page has columns, each column top to bottom, left to right.

    Boxes as wide as most of the text (titles, full-width paragraphs) cut the page into bands;
    within a band, boxes that overlap horizontally form a column.
    """
    if not boxes:
        return []
    left, right = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
    wide = 0.6 * (right - left)
    ordered: list[Any] = []
    band: list[Any] = []
    for box in sorted(boxes, key=lambda b: -b.y1):
        if box.x1 - box.x0 >= wide:
            ordered += _columns(band)
            band = []
            ordered.append(box)
        else:
            band.append(box)
    return ordered + _columns(band)


def _columns(band: list[Any]) -> list[Any]:
    columns: list[list[Any]] = []
    for box in sorted(band, key=lambda b: b.x0):
        for column in columns:
            if box.x0 < max(b.x1 for b in column) and box.x1 > min(b.x0 for b in column):
                column.append(box)
                break
        else:
            columns.append([box])
    return [box for column in columns for box in sorted(column, key=lambda b: -b.y1)]


def _box_text(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    joined = ""
    for line in lines:
        if joined.endswith("-") and len(joined) > 1 and joined[-2].islower() and line[:1].islower():
            joined = joined[:-1] + line  # a word hyphenated at the line end
        else:
            joined = f"{joined} {line}" if joined else line
    return joined


def _pdf_info(info: dict[str, object]) -> dict[str, str]:
    from pdfminer.pdftypes import resolve1

    found = {}
    for key in ("Title", "Author", "CreationDate", "ModDate"):
        value = resolve1(info.get(key))
        if isinstance(value, bytes):
            value = value.decode("utf-16") if value.startswith(b"\xfe\xff") else value.decode("latin-1")
        if isinstance(value, str) and value.strip():
            found[key] = value.strip()
    return found


def _pdf_date(meta: dict[str, str]) -> str | None:
    value = meta.get("CreationDate") or meta.get("ModDate")
    found = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", value or "")
    if not found:
        return None
    year, month, day = found.group(1), found.group(2) or "01", found.group(3) or "01"
    try:
        return datetime(int(year), int(month), int(day)).date().isoformat()
    except ValueError:
        return None
