"""Glossary edits alone, without the serving phases of bench/postings.py: build, a one-alias edit
(seconds until lookups show it) and a full re-match of every document (MB/s of passage text).

    python bench/rematch.py --size 1000000 --backend postgresql
    python bench/rematch.py --size 100000 --backend whoosh

Same corpus (bench/synth.py) and glossary as bench/postings.py; its naive whoosh build is the
baseline for the build. The issue's targets are printed beside the figures: an edit whose
candidates are at most 1% of the passages visible within 2 s, a full re-match at 5 MB/s or more.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.core import timed_build  # noqa: E402
from bench.postings import GLOSSARY, OUT, build_pg, glossary_edit  # noqa: E402
from index.backends.base import PassageIndex  # noqa: E402
from index.backends.whoosh import WhooshIndex  # noqa: E402
from index.vocabulary import load_glossary  # noqa: E402
from tests.support import PostgresServer, free_port  # noqa: E402
from tests.support.synth import SYNTH_VERSION, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="passages")
    parser.add_argument("--backend", choices=["whoosh", "postgresql"], default="whoosh")
    parser.add_argument("--naive-max", type=int, default=200_000, help="largest size to build the naive baseline at")
    args = parser.parse_args()
    corpus = OUT / f"corpus-{args.size}-v{SYNTH_VERSION}"
    if not corpus.is_dir():
        generate(load_glossary(GLOSSARY), args.size, corpus)
    megabytes = sum(f.stat().st_size for f in corpus.glob("*.md")) / 1e6
    work = Path(tempfile.mkdtemp(prefix="rematch-"))
    server = PostgresServer(free_port()) if args.backend == "postgresql" else None
    try:
        naive = timed_build("naive", corpus, work / "naive", GLOSSARY) if args.size <= args.naive_max else None
        shutil.rmtree(work / "naive", ignore_errors=True)
        index: PassageIndex
        if server is not None:
            from index.backends.postgres import PostgresIndex

            url = server.new_database()
            build = build_pg(url, corpus)
            index = PostgresIndex(url)
        else:
            build = timed_build("ours", corpus, work / "ix", GLOSSARY)
            index = WhooshIndex(work / "ix")
        started = time.perf_counter()
        edit = glossary_edit(index, megabytes, full=True)
        total = time.perf_counter() - started
        index.close()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    naive_mbps = f"{megabytes / naive['seconds']:.2f}" if naive else "not run"
    print(f"\n{args.backend}, {args.size:,} passages, {megabytes:.0f} MB ({total:.0f} s of edits)\n")
    print("| build MB/s ours / naive | edit visible s (docs checked) | target | full re-match MB/s | target |")
    print("|---|---|---|---|---|")
    print(
        f"| {megabytes / build['seconds']:.2f} / {naive_mbps} | {edit['edit_s']:.2f} ({edit['checked']:,}) | 2 s "
        f"| {edit['full_mbps']:.2f} | 5 MB/s |"
    )


if __name__ == "__main__":
    main()
