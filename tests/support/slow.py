"""Slow clients on loopback: headers sent a byte at a time, answers read not at all, and a
normal client timing its requests meanwhile (the test and bench/slow_clients.py)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class Probe:
    """What a normal client saw: each request's seconds, or None when it failed or timed out."""

    took: list[float | None] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for t in self.took if t is None or t > 1.0)

    @property
    def slowest(self) -> float:
        return max((t if t is not None else float("inf")) for t in self.took)


class SlowClients:
    """`headers` connections that trickle their request header, one byte a second each, and
    `readers` that ask for a large answer and never read it (a 4 KB receive buffer)."""

    def __init__(self, port: int, headers: int, readers: int, reader_body: bytes = b"GPU " * 10_000):
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        for _ in range(headers):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            self.sockets.append(s)
        self._trickling = list(self.sockets)
        for _ in range(readers):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            head = (
                f"POST /api/annotate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(reader_body)}\r\n\r\n"
            )
            s.sendall(head.encode() + reader_body)
            self.sockets.append(s)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(1.0):
            for s in self._trickling:
                with contextlib.suppress(OSError):  # closed by the server (a header timeout): its right
                    s.send(b"a")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for s in self.sockets:
            s.close()


def wait_until_idle(url: str, seconds: float = 30.0) -> None:
    """Until the workers answer /healthz at once: the slow readers' answers are all made (a
    one-off burst of work, not what the slow connections cost afterwards)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # bounded by time
        started = time.monotonic()
        try:
            answered = requests.get(url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            answered = False
        if answered and time.monotonic() - started < 0.05:
            return
        time.sleep(0.1)
    raise AssertionError(f"the server was still busy after {seconds} s")


def probe(url: str, seconds: float, every: float = 0.25) -> Probe:
    """GET /healthz and a term lookup in turn, every `every` seconds, for `seconds`."""
    seen = Probe()
    paths = ["/healthz", "/api/terms/gpu"]
    end = time.monotonic() + seconds
    for i in range(10_000):  # bounded by time and by count
        if time.monotonic() > end:
            break
        started = time.monotonic()
        try:
            ok = requests.get(url + paths[i % 2], timeout=5).status_code == 200
        except requests.RequestException:
            ok = False
        seen.took.append(time.monotonic() - started if ok else None)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return seen
