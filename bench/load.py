"""REST load benchmark: wrk (16 connections, 20 s an endpoint) against gunicorn on loopback.

    python bench/load.py --passages 50000                 # whoosh, against the hello ceiling
    python bench/load.py --backends whoosh,postgresql --passages 200000

Each figure is printed with its ratio to a Flask hello-JSON endpoint served by the same
gunicorn settings in the same run. PostgreSQL rows also give bulk-load throughput against
the whoosh build of the same corpus.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.backends.whoosh import WhooshIndex  # noqa: E402
from index.corpus import read_corpus  # noqa: E402
from index.vocabulary import load_glossary  # noqa: E402
from tests.support import PostgresServer, free_port  # noqa: E402
from tests.support.synth import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ANNOTATE_TEXT = OUT / "annotate-5k.txt"


def start(app: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    full = {
        **os.environ,
        **env,
        "GLOSSARY_SERVICE_BIND": f"127.0.0.1:{port}",
        "GLOSSARY_SERVICE_WORKERS": env.get("GLOSSARY_SERVICE_WORKERS", "2"),
        "GLOSSARY_SERVICE_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "service" / "gunicorn_conf.py"), app],
        cwd=ROOT,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # bounded: about a minute
        try:
            requests.get(url + "/healthz" if "service" in app else url + "/hello", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.1)
    else:
        process.terminate()
        raise RuntimeError(f"{app} did not start")
    time.sleep(1)  # both workers up (Kiwi is loaded in the master before the fork)
    return process, url


def wrk(url: str, seconds: int, script: Path | None = None, connections: int = 16) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        args[1:1] = ["-s", str(script)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def annotate_script() -> Path:
    text = ANNOTATE_TEXT.read_text()
    script = OUT / "annotate.lua"
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    script.write_text(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/plain"\nwrk.body = "{body}"\n')
    return script


def make_annotate_text(corpus: Path) -> None:
    texts = []
    for path in sorted(corpus.glob("*.md"))[:40]:
        texts.append(path.read_text().split("---\n", 2)[-1])
    ANNOTATE_TEXT.write_text("\n\n".join(texts)[:5000])


def measure(url: str, seconds: int) -> dict[str, dict[str, float]]:
    endpoints = {
        "passages": f"{url}/api/terms/digital-twin/passages",
        "suggest": f"{url}/api/suggest?q=dig",
        "lookup": f"{url}/api/lookup?label=AI%20factories",
    }
    for target in endpoints.values():
        requests.get(target, timeout=120)  # warm the term caches, as a running service has them
    found = {name: wrk(target, seconds) for name, target in endpoints.items()}
    found["annotate"] = wrk(f"{url}/api/annotate", seconds, annotate_script())
    found["annotate"]["mbps"] = found["annotate"]["rps"] * len(ANNOTATE_TEXT.read_bytes()) / 1e6
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="REST load benchmark")
    parser.add_argument("--passages", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--backends", default="whoosh")
    args = parser.parse_args()
    assert shutil.which("wrk"), "wrk is needed: make system-deps installs it"
    corpus = OUT / f"corpus-{args.passages}"
    if not corpus.is_dir():
        generate(load_glossary(ROOT / "glossary.yaml"), args.passages, corpus)
    make_annotate_text(corpus)
    work = Path(tempfile.mkdtemp(prefix="load-"))
    rows: list[tuple[str, str, dict[str, float]]] = []
    loads: dict[str, float] = {}
    hello, url = start("bench.hello:app", {"GLOSSARY_SERVICE_WRITER_PROCESS": "0"})
    try:
        ceiling = wrk(f"{url}/hello", args.seconds)
    finally:
        hello.terminate()
        hello.wait()
    env = {
        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(ROOT / "glossary.yaml"),
        "GLOSSARY_SERVICE_CORPUS_DIR": str(corpus),
        "GLOSSARY_SERVICE_INDEX_DIR": str(work / "index"),
    }
    t = time.perf_counter()
    WhooshIndex(work / "index").replace_all(read_corpus(corpus), load_glossary(ROOT / "glossary.yaml"), procs=2)
    loads["whoosh"] = time.perf_counter() - t
    pg = None
    try:
        for backend in args.backends.split(","):
            backend_env = dict(env)
            if backend == "postgresql":
                from index.backends.postgres import PostgresIndex

                pg = PostgresServer(free_port())
                database = pg.new_database()
                index = PostgresIndex(database)
                t = time.perf_counter()
                index.replace_all(read_corpus(corpus), load_glossary(ROOT / "glossary.yaml"))
                loads["postgresql"] = time.perf_counter() - t
                index.close()
                backend_env["DATABASE_URL"] = database
            service, url = start("service:create_app()", backend_env)
            try:
                for name, figures in measure(url, args.seconds).items():
                    rows.append((backend, name, figures))
            finally:
                service.terminate()
                service.wait()
            if backend == "whoosh":  # without the response cache: every request runs the view
                service, url = start(
                    "service:create_app()", {**backend_env, "GLOSSARY_SERVICE_RESPONSE_CACHE_SIZE": "0"}
                )
                try:
                    for name in ("passages", "suggest"):
                        target = {
                            "passages": f"{url}/api/terms/digital-twin/passages",
                            "suggest": f"{url}/api/suggest?q=dig",
                        }[name]
                        requests.get(target, timeout=120)
                        rows.append(("whoosh (no response cache)", name, wrk(target, args.seconds)))
                finally:
                    service.terminate()
                    service.wait()
            if backend == "whoosh":  # the alternative worker class, for the record in gunicorn_conf.py
                service, url = start(
                    "service:create_app()",
                    {**backend_env, "GLOSSARY_SERVICE_WORKER_CLASS": "gthread", "GLOSSARY_SERVICE_THREADS": "4"},
                )
                try:
                    requests.get(f"{url}/api/terms/digital-twin/passages", timeout=120)
                    rows.append(
                        (
                            "whoosh (gthread 2x4)",
                            "passages",
                            wrk(f"{url}/api/terms/digital-twin/passages", args.seconds),
                        )
                    )
                finally:
                    service.terminate()
                    service.wait()
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    megabytes = sum(p.stat().st_size for p in corpus.glob("*.md")) / 1e6
    print(f"\n{args.passages:,} passages ({megabytes:.1f} MB); gunicorn sync x2; wrk -t2 -c16 -d{args.seconds}s\n")
    print("| backend | endpoint | req/s | ratio to ceiling | p50 ms | p99 ms | non-2xx | MB/s |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| - | hello-JSON ceiling | {ceiling['rps']:,.0f} | 1.00 | {ceiling['p50']:.2f} | {ceiling['p99']:.2f} | "
        f"{ceiling['errors']:.0f} | |"
    )
    for backend, name, f in rows:
        mbps = f"{f['mbps']:.1f}" if "mbps" in f else ""
        print(
            f"| {backend} | {name} | {f['rps']:,.0f} | {f['rps'] / ceiling['rps']:.2f} | {f['p50']:.2f} | "
            f"{f['p99']:.2f} | {f['errors']:.0f} | {mbps} |"
        )
    print("\n| corpus load | seconds | MB/s | ratio to whoosh build |\n|---|---|---|---|")
    for backend, seconds in loads.items():
        print(f"| {backend} | {seconds:.1f} | {megabytes / seconds:.2f} | {loads['whoosh'] / seconds:.2f} |")


if __name__ == "__main__":
    main()
