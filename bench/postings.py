"""Postings benchmark (issue 13): the read path from term postings, on whoosh and PostgreSQL.

    python bench/postings.py --sizes 10000,100000,1000000 --backends whoosh,postgresql

For each corpus size (bench/synth.py, deterministic) and backend, every figure is printed
beside its baseline from the same run:
- build, postings included: throughput and peak memory against the naive whoosh build (one
  whoosh document per paragraph, standard analyzer; run up to --naive-max passages);
- gunicorn (2 sync workers, response cache off, the writer process beside them): a term's
  first page of passages from the very first request after start, then while a writer adds
  one document a second; wrk throughput of that page against a Flask hello-JSON ceiling under
  the same settings, measured just before (PostgreSQL: two service instances on one database),
  once the background writer has stored the derived data it computes after start;
- memory of each serving worker: RSS, PSS and private (USS) from /proc/PID/smaps_rollup. The
  Korean analyser is loaded once in gunicorn's master and shared by the fork: RSS counts it in
  every worker, PSS divides it between the processes sharing it, USS leaves it out;
- trend and co-occurrence latency from the counts kept beside the postings;
- a one-alias glossary edit (candidates about 1% of passages): seconds until lookups show it;
  re-matching every term: MB/s of passage text;
- recall and precision of the postings against the planted truth.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.core import percentile, score, timed_build, tracking_latency  # noqa: E402
from bench.load import start, wrk  # noqa: E402
from index.backends.base import PassageIndex  # noqa: E402
from index.backends.whoosh import WhooshIndex  # noqa: E402
from index.store import Store  # noqa: E402
from index.vocabulary import load_glossary, parse_glossary  # noqa: E402
from tests.support import PostgresServer, free_port, serving_worker_pids  # noqa: E402
from tests.support.synth import FUTURE_ALIAS, SYNTH_VERSION, bench_glossary, generate, load_truth  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
GLOSSARY = bench_glossary(ROOT, OUT / "glossary-bench.yaml")  # the project's plus rule-exercising terms
TOKEN = "bench-token"


def memory_of(pid: int) -> dict[str, float]:
    """RSS; PSS (shared pages divided between the processes sharing them: Kiwi's, loaded once
    before the fork); the worker's own heap (anonymous pages not shared); and index file pages
    the worker has mapped (page cache the kernel can drop, not the worker's heap)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "heap": fields["Private_Dirty"],
        "files": fields["Rss"] - fields["Anonymous"],
    }


def first_requests(url: str, terms: list[str], count: int = 300) -> dict[str, float]:
    """Latency of term pages from the first request after start on (no cache anywhere)."""
    session = requests.Session()
    times = []
    rng = random.Random(3)
    order = terms + [rng.choice(terms) for _ in range(count - len(terms))]
    for term in order:
        t = time.perf_counter()
        r = session.get(f"{url}/api/terms/{term}/passages?limit=20", timeout=60)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text[:200]
    return {"first_ms": times[0] * 1e3, "p50": percentile(times, 0.5) * 1e3, "p99": percentile(times, 0.99) * 1e3}


def during_writes(url: str, terms: list[str], seconds: float) -> dict[str, float]:
    """The same lookups while a writer adds one document a second."""
    stop = threading.Event()
    written = []

    def writer() -> None:
        n = 0
        while not stop.wait(1.0):
            n += 1
            r = requests.put(
                f"{url}/api/documents/bench/live-{n}",
                timeout=60,
                headers={"Authorization": f"Bearer {TOKEN}"},
                json={"text": f"A digital twin and a GPU cluster, write {n}.", "date": "2026-01-01"},
            )
            written.append(r.status_code)

    thread = threading.Thread(target=writer)
    thread.start()
    session = requests.Session()
    rng = random.Random(5)
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(times) < 100_000:
        term = rng.choice(terms)
        t = time.perf_counter()
        r = session.get(f"{url}/api/terms/{term}/passages?limit=20", timeout=60)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200
    stop.set()
    thread.join()
    assert written and all(code in (200, 201) for code in written), written
    return {"p50": percentile(times, 0.5) * 1e3, "p99": percentile(times, 0.99) * 1e3, "writes": len(written)}


def in_process(index: PassageIndex, truth: set[tuple[str, str]]) -> dict[str, float]:
    with index.snapshot() as snap:
        store = Store(snap)
        terms = list(store.glossary.terms)
        planted = {pid for pid, _ in truth}  # documents the benchmark wrote later are not part of the truth
        found = {(h.passage.id, t.id) for t in terms for h in store.all_hits(t) if h.passage.id in planted}
        recall, precision = score(found, truth)
        trends, cooc = tracking_latency(store, terms, rounds=5)
    return {
        "recall": recall,
        "precision": precision,
        "trend_p99": percentile(trends, 0.99) * 1e3,
        "cooc_p99": percentile(cooc, 0.99) * 1e3,
        "trend_p50": statistics.median(trends) * 1e3,
        "cooc_p50": statistics.median(cooc) * 1e3,
    }


def glossary_edit(index: PassageIndex, megabytes: float, full: bool) -> dict[str, float]:
    """One alias added: seconds until a new snapshot's lookups show it; then a full re-match."""
    base = GLOSSARY.read_text()
    edited = parse_glossary(
        base.replace("    aliases: [AI sovereignty]", f"    aliases: [AI sovereignty, {FUTURE_ALIAS}]")
    )
    with index.snapshot() as snap:
        before = Store(snap).usage(Store(snap).term("sovereign-ai")).passages
    t = time.perf_counter()
    report = index.rematch(edited, wait_seconds=120)
    with index.snapshot() as snap:
        after = Store(snap).usage(Store(snap).term("sovereign-ai")).passages
    edit_seconds = time.perf_counter() - t
    assert after > before, "the edit did not show"
    found = {
        "edit_s": edit_seconds,
        "checked": report.documents_checked,
        "changed": report.documents_changed,
        "full_s": float("nan"),
        "full_mbps": float("nan"),
    }
    if full:
        t = time.perf_counter()
        index.rematch(parse_glossary(base), wait_seconds=600, everything=True)
        found["full_s"] = time.perf_counter() - t
        found["full_mbps"] = megabytes / found["full_s"]
    return found


def build_pg(url: str, corpus: Path) -> dict[str, float]:
    code = (
        f"import sys, time, json, resource; sys.path.insert(0, {str(ROOT)!r}); "
        "from index.backends.postgres import PostgresIndex; from index.corpus import read_corpus; "
        "from index.vocabulary import load_glossary; "
        f"ix = PostgresIndex({url!r}); t = time.perf_counter(); "
        f"ix.replace_all(read_corpus({str(corpus)!r}), load_glossary({str(GLOSSARY)!r})); s = time.perf_counter() - t; "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; "
        "print(json.dumps({'seconds': s, 'self_mb': int(hwm.split()[1]) / 1024, 'children_mb': 0}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def writer_settled(url: str, limit_seconds: float = 3600.0) -> float:
    """Seconds until the background writer has stored the derived data it computes once after
    start (candidate terms, alias suggestions: a whole-corpus pass, minutes at 1M passages).
    Page throughput is measured with the writer idle, so that it measures serving alone."""
    started = time.monotonic()
    while time.monotonic() - started < limit_seconds:  # bounded
        candidates = requests.get(f"{url}/api/candidates?limit=1", timeout=60).json()
        aliases = requests.get(f"{url}/api/suggestions/aliases", timeout=60).json()
        if candidates["computed_at"] and aliases["computed_at"]:
            return time.monotonic() - started
        time.sleep(2)
    raise RuntimeError(f"the background writer was still busy after {limit_seconds:.0f} s")


def serve_and_measure(env: dict[str, str], terms: list[str], seconds: int, instances: int = 1) -> dict[str, Any]:
    ceiling = hello_ceiling(seconds)  # beside each load, not once per run: the machine drifts
    env = {
        **env,
        "GLOSSARY_SERVICE_RESPONSE_CACHE_SIZE": "0",
        "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
        # Derived data once after start, not again after the benchmark's writes.
        "GLOSSARY_SERVICE_DERIVED_EVERY_SECONDS": "1e9",
    }
    started = [
        start("service:create_app()", {**env, "GLOSSARY_SERVICE_WORKERS": str(2 // instances)})
        for _ in range(instances)
    ]
    try:
        url = started[0][1]
        first = first_requests(url, terms)
        writes = during_writes(url, terms, seconds)
        settled = writer_settled(url)
        target = "/api/terms/digital-twin/passages?limit=20"
        if instances == 1:
            load = wrk(url + target, seconds)
        else:  # one wrk per instance, at once; the sum is the deployment's throughput
            results: list[dict[str, float]] = []
            threads = [
                threading.Thread(target=lambda u=u: results.append(wrk(u + target, seconds, connections=8)))
                for _, u in started
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            load = {
                "rps": sum(r["rps"] for r in results),
                "p50": max(r["p50"] for r in results),
                "p99": max(r["p99"] for r in results),
                "errors": sum(r["errors"] for r in results),
            }
        memory = [memory_of(pid) for process, _ in started for pid in serving_worker_pids(process.pid)]
        return {
            "first": first,
            "writes": writes,
            "load": load,
            "memory": memory,
            "ceiling": ceiling,
            "settled": settled,
        }
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=30)


def run_size(
    size: int, backends: list[str], naive_max: int, rematch_max: int, seconds: int, pg: PostgresServer | None
) -> dict[str, Any]:
    corpus = OUT / f"corpus-{size}-v{SYNTH_VERSION}"
    if not corpus.is_dir():
        generate(load_glossary(GLOSSARY), size, corpus)
    truth = {(pid, term) for pid, terms in load_truth(corpus).items() for term in terms}
    megabytes = sum(f.stat().st_size for f in corpus.glob("*.md")) / 1e6
    terms = [t.id for t in load_glossary(GLOSSARY).terms]
    work = Path(tempfile.mkdtemp(prefix="postings-"))
    row: dict[str, Any] = {"size": size, "mb": megabytes}
    try:
        if size <= naive_max:
            print(f"  naive build {size:,}", file=sys.stderr, flush=True)
            row["naive_build"] = timed_build("naive", corpus, work / "naive", GLOSSARY)
            shutil.rmtree(work / "naive", ignore_errors=True)
        for backend in backends:
            print(f"  {backend} {size:,}", file=sys.stderr, flush=True)
            glossary = work / "glossary.yaml"
            shutil.copy(GLOSSARY, glossary)
            if backend == "whoosh":
                build = timed_build("ours", corpus, work / "ix", GLOSSARY)
                env = {"GLOSSARY_SERVICE_INDEX_DIR": str(work / "ix")}
                index: PassageIndex = WhooshIndex(work / "ix")
                instances = 1
            else:
                assert pg is not None
                url = pg.new_database()
                build = build_pg(url, corpus)
                env = {"DATABASE_URL": url, "GLOSSARY_SERVICE_INDEX_DIR": str(work / "pgvar")}
                from index.backends.postgres import PostgresIndex

                index = PostgresIndex(url)
                instances = 2
            env.update(
                {"GLOSSARY_SERVICE_GLOSSARY_PATH": str(glossary), "GLOSSARY_SERVICE_CORPUS_DIR": str(work / "docs")}
            )
            served = serve_and_measure(env, terms, seconds, instances)
            measured = in_process(index, truth)
            edit = glossary_edit(index, megabytes, full=size <= rematch_max)
            index.close()
            row[backend] = {"build": build, **served, **measured, **edit}
            shutil.rmtree(work / "ix", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return row


def hello_ceiling(seconds: int) -> dict[str, float]:
    process, url = start("bench.hello:app", {"GLOSSARY_SERVICE_WRITER_PROCESS": "0"})
    try:
        return wrk(url + "/hello", seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)


def print_tables(rows: list[dict[str, Any]]) -> None:
    ceilings = [r[b]["ceiling"]["rps"] for r in rows for b in ("whoosh", "postgresql") if b in r]
    print(
        f"\nhello-JSON ceiling (gunicorn sync x2, wrk -t2 -c16), measured before each row's load: "
        f"{min(ceilings):,.0f}-{max(ceilings):,.0f} req/s. Page throughput is measured once the "
        "background writer has stored its derived data (it computes them once after start)."
    )
    print(
        "\n| passages | corpus MB | backend | build s (naive) | build MB/s ours / naive | ratio | peak build MB ours / naive "
        "| first request ms | first-page p50 / p99 ms (from start) | p99 with 1 write/s | page req/s (x ceiling) "
        "| worker RSS / PSS / own heap / mapped index files MB | trend p99 ms | cooc p99 ms | edit visible s (docs checked) | full re-match MB/s "
        "| recall / precision |"
    )
    print("|" + "---|" * 17)
    for r in rows:
        naive = r.get("naive_build")
        for backend in ("whoosh", "postgresql"):
            if backend not in r:
                continue
            b = r[backend]
            build = b["build"]
            ours_mbps = r["mb"] / build["seconds"]
            naive_mbps = r["mb"] / naive["seconds"] if naive else None
            mem = b["memory"]
            rss = max(m["rss"] for m in mem)
            pss = max(m["pss"] for m in mem)
            heap = max(m["heap"] for m in mem)
            full = "—" if b["full_mbps"] != b["full_mbps"] else f"{b['full_mbps']:.2f}"  # NaN: not timed
            files = max(m["files"] for m in mem)
            print(
                f"| {r['size']:,} | {r['mb']:.0f} | {backend} | {build['seconds']:.1f} ({naive['seconds']:.1f}) "
                if naive
                else f"| {r['size']:,} | {r['mb']:.0f} | {backend} | {build['seconds']:.1f} (—) ",
                end="",
            )
            print(
                f"| {ours_mbps:.2f} / {naive_mbps:.2f} | {ours_mbps / naive_mbps:.2f}x "
                if naive_mbps
                else f"| {ours_mbps:.2f} / — | — ",
                end="",
            )
            print(
                f"| {build['self_mb'] + build['children_mb']:.0f} / {naive['self_mb']:.0f} "
                if naive
                else f"| {build['self_mb'] + build['children_mb']:.0f} / — ",
                end="",
            )
            print(
                f"| {b['first']['first_ms']:.1f} | {b['first']['p50']:.2f} / {b['first']['p99']:.2f} "
                f"| {b['writes']['p99']:.2f} | {b['load']['rps']:,.0f} ({b['load']['rps'] / b['ceiling']['rps']:.2f}) "
                f"| {rss:.0f} / {pss:.0f} / {heap:.0f} / {files:.0f} | {b['trend_p99']:.1f} | {b['cooc_p99']:.1f} "
                f"| {b['edit_s']:.2f} ({b['checked']:,}) | {full} | {b['recall']:.4f} / {b['precision']:.4f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="postings benchmark")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="whoosh,postgresql")
    parser.add_argument("--naive-max", type=int, default=200_000)
    parser.add_argument("--rematch-max", type=int, default=100_000, help="largest size to time a full re-match at")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    backends = args.backends.split(",")
    pg = PostgresServer(free_port()) if "postgresql" in backends else None
    try:
        rows = []
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"measuring {size:,} passages ...", file=sys.stderr, flush=True)
            rows.append(run_size(size, backends, args.naive_max, args.rematch_max, args.seconds, pg))
            if args.json:
                args.json.write_text(json.dumps({"rows": rows}, indent=2))
        print_tables(rows)
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
