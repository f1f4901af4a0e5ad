"""One annotate call at the body limit, through gunicorn: the worst texts we know of.

    python bench/annotate_limits.py [--calls 5]

Each row is one body of about 1 MB (the default limit) posted as text/plain to /api/annotate
on gunicorn (sync workers x2, the sample index): a dense run of one label, Korean syllables
without a space, and real prose (the seed articles, repeated). Printed: the first call's
seconds and the median of the next ones, beside the baseline measured in the same run: the
matcher alone on the same text in this process (what the HTTP and JSON around it cost). The
target is under 1 s a call.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.slow_clients import sample_service, serve  # noqa: E402
from index.vocabulary import load_glossary, matcher_for  # noqa: E402
from tests.support import ROOT  # noqa: E402

LIMIT = 1_000_000
SEEDS = ROOT.parent / "shared" / "seeds"


def bodies() -> dict[str, str]:
    prose = "\n\n".join(p.read_text() for p in sorted(SEEDS.glob("*.txt")))
    # Labels glued together with no space: every hit asks Kiwi about the text around it.
    solid = "데이터센터의디지털트윈과자율주행로봇을소버린AI로"
    return {
        '"GPU " x 250,000 (every word a match)': "GPU " * (LIMIT // 4),
        "333,333 Hangul syllables of labels, no space": (solid * (LIMIT // 3 // len(solid) + 1))[: LIMIT // 3 - 2],
        "seed articles, repeated": _up_to_limit(prose),
    }


def _up_to_limit(text: str) -> str:
    repeated = text * (LIMIT // len(text.encode()) + 1)
    return repeated.encode()[:LIMIT].decode(errors="ignore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()
    env = sample_service("bench-annotate-")
    matcher = matcher_for(load_glossary(ROOT / "glossary.yaml"))
    process, port = serve(env)
    rows = []
    try:
        for name, text in bodies().items():
            body = text.encode()
            assert len(body) <= LIMIT, (name, len(body))
            seconds = []
            for _ in range(args.calls):  # bounded
                started = time.perf_counter()
                r = requests.post(
                    f"http://127.0.0.1:{port}/api/annotate",
                    data=body,
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                    timeout=60,
                )
                seconds.append(time.perf_counter() - started)
                r.raise_for_status()
            found = r.json()
            started = time.perf_counter()
            matcher.match(text)
            alone = time.perf_counter() - started
            rows.append((name, len(body) / 1e6, found["total"], len(r.content) / 1e6, seconds, alone))
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(
        "| body | MB | matches (returned ≤ 10,000) | answer MB | first call s | median s | matcher alone s (baseline) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, mb, total, answer, seconds, alone in rows:
        median = statistics.median(seconds[1:] or seconds)
        print(f"| {name} | {mb:.2f} | {total:,} | {answer:.2f} | {seconds[0]:.2f} | {median:.2f} | {alone:.2f} |")
    print("target: every call under 1 s")


if __name__ == "__main__":
    main()
