"""A bounded soak of mixed reads and writes against a running server (loopback only)."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class SoakResult:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    written: set[str] = field(default_factory=set)  # acknowledged writes
    deleted: set[str] = field(default_factory=set)


def soak(
    base_url: str, token: str, seconds: float, clients: int = 4, max_requests: int = 200_000, tag: str = "run"
) -> SoakResult:
    """Clients loop over reads (80%) and writes (20%) until time or the request cap runs out."""
    assert base_url.startswith(("http://127.", "http://localhost")), "soak only loopback"
    result = SoakResult()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    reads = [
        "/api/terms/digital-twin/passages",
        "/api/suggest?q=dig",
        "/api/lookup?label=AI%20factories",
        "/api/search?q=digital",
        "/api/terms",
        "/api/status",
        "/api/terms/gpu",
        "/",
    ]

    def client(number: int) -> None:
        rng = random.Random(number)
        session = requests.Session()
        auth = {"Authorization": f"Bearer {token}"}
        n = 0
        while time.monotonic() < deadline:
            with lock:
                if result.requests >= max_requests:
                    return
                result.requests += 1
            n += 1
            try:
                if rng.random() < 0.2:
                    doc_id = f"soak/{tag}-c{number}-{n}"
                    if rng.random() < 0.8 or not result.written:
                        r = session.put(
                            f"{base_url}/api/documents/{doc_id}",
                            headers=auth,
                            timeout=30,
                            json={"text": f"Soak {n}: a digital twin and GPUs.", "date": "2025-10-01"},
                        )
                        if r.status_code in (200, 201):
                            with lock:
                                result.written.add(doc_id)
                        else:
                            result.errors.append(f"PUT {doc_id}: {r.status_code} {r.text[:200]}")
                    else:
                        with lock:
                            victim = rng.choice(sorted(result.written - result.deleted))
                            result.deleted.add(victim)
                        r = session.delete(f"{base_url}/api/documents/{victim}", headers=auth, timeout=30)
                        if r.status_code != 204:
                            result.errors.append(f"DELETE {victim}: {r.status_code} {r.text[:200]}")
                else:
                    path = rng.choice(reads)
                    r = session.get(base_url + path, timeout=30)
                    if r.status_code != 200:
                        result.errors.append(f"GET {path}: {r.status_code} {r.text[:200]}")
            except requests.RequestException as exc:
                result.errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result
