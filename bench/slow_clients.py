"""Slow clients against gunicorn's sync workers alone (the baseline: the production command
before nginx) and with nginx in front (GLOSSARY_SERVICE_PROXY=nginx), in the same run.

    python bench/slow_clients.py [--seconds 20]

Each row: slow connections that send their header a byte a second, and slow readers that ask
for a large answer (10,000 annotate matches, about 1.3 MB) and never read it; meanwhile a
normal client asks for /healthz and a term every 0.25 s. Printed: the normal client's requests
that failed or took over 1 s, and its slowest one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import ROOT, free_port  # noqa: E402
from tests.support.slow import SlowClients, probe  # noqa: E402


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "service" / "gunicorn_conf.py"), "service:create_app()"],
        cwd=ROOT,
        env={**os.environ, **env, "GLOSSARY_SERVICE_BIND": f"127.0.0.1:{port}", "GLOSSARY_SERVICE_WORKERS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):  # bounded: about a minute
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/terms/gpu", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    return process, port


def sample_service(prefix: str) -> dict[str, str]:
    """The service's settings for the project's glossary and sample corpus, indexed afresh in a
    temporary folder, response cache off."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    subprocess.run(
        [sys.executable, "-m", "service.cli", "build", "--quiet", "--glossary", "glossary.yaml"]
        + ["--corpus", "corpus", "--index", str(work / "index")],
        cwd=ROOT,
        check=True,
    )
    return {
        "GLOSSARY_SERVICE_INDEX_DIR": str(work / "index"),
        "GLOSSARY_SERVICE_CORPUS_DIR": str(ROOT / "corpus"),
        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(ROOT / "glossary.yaml"),
        "GLOSSARY_SERVICE_RESPONSE_CACHE_SIZE": "0",
        "GLOSSARY_SERVICE_LOG_LEVEL": "warning",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    base = sample_service("bench-slow-")
    # A header timeout longer than the run: the slow connections are not cut off, only served.
    setups = {
        "gunicorn sync x2 (baseline)": {},
        "nginx + gunicorn sync x2": {"GLOSSARY_SERVICE_PROXY": "nginx", "GLOSSARY_SERVICE_PROXY_HEADER_TIMEOUT": "600"},
    }
    loads = [(2, 0), (0, 2), (200, 0), (200, 20)]
    print(f"{'setup':<30} {'slow headers':>12} {'slow readers':>12} {'failed or >1 s':>15} {'slowest (s)':>12}")
    for name, env in setups.items():
        process, port = serve({**base, **env})
        try:
            for headers, readers in loads:
                slow = SlowClients(port, headers=headers, readers=readers, reader_body=b"GPU " * 10_000)
                try:
                    seen = probe(f"http://127.0.0.1:{port}", seconds=args.seconds)
                finally:
                    slow.close()
                print(
                    f"{name:<30} {headers:>12} {readers:>12} "
                    f"{f'{seen.failed}/{len(seen.took)}':>15} {seen.slowest:>12.3f}",
                    flush=True,
                )
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
