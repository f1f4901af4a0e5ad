"""Ingest throughput: HTML pages and PDF files against plain text, in the same run.

    python bench/ingest.py [--documents 200]

The same articles (the seed articles' paragraphs, shuffled into `--documents` documents) are
written three ways: as .txt files, as HTML pages with navigation and boilerplate around the
article, and as PDF files (fpdf2). Each set is ingested from files into a fresh index with
`glossary ingest`'s code (extraction, then a durable write per document). Printed: documents/s
and MB/s of input for extraction alone and for the whole ingest, with ratios to plain text.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fpdf import FPDF  # noqa: E402

from index.backends.whoosh import WhooshIndex  # noqa: E402
from index.corpus import paragraphs  # noqa: E402
from index.fetch import FetchPolicy  # noqa: E402
from index.ingest import Ingester, extract  # noqa: E402
from index.library import Library  # noqa: E402
from index.vocabulary import load_glossary  # noqa: E402
from tests.support import ROOT, SEEDS  # noqa: E402

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Field News</title>
<meta property="og:site_name" content="Field News"><meta name="author" content="Staff">
<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "2025-0{month}-1{day}"}}</script>
</head><body><nav><a href="/">Home</a> <a href="/ai">AI</a> <a href="/chips">Chips</a> <a href="/login">Log in</a></nav>
<aside class="ad">Sponsored: the week's best GPU deals.</aside><article><h1>{title}</h1>{body}</article>
<footer>Copyright Field News. <a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer></body></html>"""


def english_paragraphs() -> list[str]:
    found = []
    for path in sorted(SEEDS.glob("*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [p for p in paragraphs(text) if len(p) > 80 and p.isascii()]
    return found


def make_sets(folder: Path, n: int) -> dict[str, list[Path]]:
    pool = english_paragraphs()
    rng = random.Random(7)
    sets: dict[str, list[Path]] = {"text": [], "html": [], "pdf": []}
    for name in sets:
        (folder / name).mkdir()
    for i in range(n):
        chosen = rng.sample(pool, min(len(pool), 8))
        title = f"Article {i}: " + chosen[0][:40]
        txt = folder / "text" / f"a{i}.txt"
        txt.write_text("\n\n".join(chosen), encoding="utf-8")
        html = folder / "html" / f"a{i}.html"
        body = "".join(f"<p>{p}</p>" for p in chosen)
        html.write_text(PAGE.format(title=title, body=body, month=i % 9 + 1, day=i % 9), encoding="utf-8")
        pdf = FPDF()
        pdf.set_title(title)
        pdf.set_font("helvetica", size=11)
        pdf.add_page()
        for p in chosen:
            pdf.multi_cell(190, 6, p.encode("latin-1", "replace").decode("latin-1"), align="L")
            pdf.ln(6)
        path = folder / "pdf" / f"a{i}.pdf"
        path.write_bytes(bytes(pdf.output()))
        for kind, p in (("text", txt), ("html", html), ("pdf", path)):
            sets[kind].append(p)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args()
    glossary = load_glossary(ROOT / "glossary.yaml")
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    sets = make_sets(work, args.documents)
    rows = []
    for kind, files in sets.items():
        size = sum(p.stat().st_size for p in files) / 1e6
        started = time.perf_counter()
        for path in files:
            extract(path.read_bytes(), "text/html" if kind == "html" else None)
        extraction = time.perf_counter() - started
        index_dir = work / f"index-{kind}"
        WhooshIndex(index_dir).replace_all([], glossary)
        library = Library(work / f"corpus-{kind}", WhooshIndex(index_dir), index_dir)
        started = time.perf_counter()
        report = Ingester(library, FetchPolicy()).ingest(str(p) for p in files)
        total = time.perf_counter() - started
        library.index.close()
        assert not report.failed and len(report.written) == len(files), report.failed[:3]
        rows.append((kind, size, len(files) / extraction, size / extraction, len(files) / total, size / total))
    base = rows[0]
    print(f"{args.documents} documents of 8 paragraphs each; input sizes in MB of files")
    print(
        f"{'format':<8} {'MB':>6} {'extract docs/s':>15} {'MB/s':>7} {'ratio':>6}"
        f" {'ingest docs/s':>14} {'MB/s':>7} {'ratio':>6}"
    )
    for kind, size, edocs, emb, idocs, imb in rows:
        print(
            f"{kind:<8} {size:>6.2f} {edocs:>15.1f} {emb:>7.2f} {edocs / base[2]:>6.2f}"
            f" {idocs:>14.1f} {imb:>7.2f} {idocs / base[4]:>6.2f}"
        )


if __name__ == "__main__":
    main()
