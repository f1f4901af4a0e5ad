"""Slow clients against the production setup: nginx (GLOSSARY_SERVICE_PROXY=nginx) in front of
gunicorn's sync workers. Real nginx, real gunicorn, loopback only; bench/slow_clients.py measures
the same with and without nginx."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import Gunicorn
from tests.support.slow import SlowClients, probe, wait_until_idle

pytestmark = pytest.mark.slow  # each starts nginx and gunicorn (nginx: `make system-deps`)

PROXIED = {"GLOSSARY_SERVICE_PROXY": "nginx", "GLOSSARY_SERVICE_PROXY_HEADER_TIMEOUT": "3"}


@pytest.fixture
def proxied(gunicorn_env: dict[str, str]) -> Iterator[Gunicorn]:
    server = Gunicorn({**gunicorn_env, **PROXIED, "GLOSSARY_SERVICE_PROXY_BODY_TIMEOUT": "2"})
    yield server
    server.stop()


def test_two_hundred_slow_connections_leave_normal_requests_answering_within_a_second(
    gunicorn_env: dict[str, str],
) -> None:
    # Header timeout well above the test's length: the slow connections stay open all along.
    server = Gunicorn(
        {**gunicorn_env, "GLOSSARY_SERVICE_PROXY": "nginx", "GLOSSARY_SERVICE_PROXY_HEADER_TIMEOUT": "60"}
    )
    try:
        slow = SlowClients(server.port, headers=200, readers=20)
        try:
            time.sleep(0.5)  # the readers' requests are in
            wait_until_idle(server.url)  # their answers are made (10,000 matches each) and left unread
            seen = probe(server.url, seconds=8)
            still_open = sum(1 for s in slow.sockets[:200] if _open(s))
        finally:
            slow.close()
        assert len(seen.took) >= 20
        assert seen.failed == 0, f"{seen.failed} of {len(seen.took)} requests failed or took over 1 s"
        assert seen.slowest < 1.0
        assert still_open == 200, "the slow connections were served, not refused"
    finally:
        server.stop()


def _open(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def test_a_header_sent_too_slowly_is_cut_off(proxied: Gunicorn) -> None:
    s = socket.create_connection(("127.0.0.1", proxied.port), timeout=10)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    closed_after = None
    for _ in range(20):  # a header byte a second: the whole header never arrives in 3 s
        try:
            s.sendall(b"X")
        except OSError:
            closed_after = time.monotonic() - started
            break
        if not _open(s):
            closed_after = time.monotonic() - started
            break
        time.sleep(1)
    s.close()
    assert closed_after is not None and 2.5 < closed_after < 6


def test_a_body_that_stalls_is_cut_off_before_a_worker_sees_it(proxied: Gunicorn) -> None:
    s = socket.create_connection(("127.0.0.1", proxied.port), timeout=10)
    s.sendall(
        b"POST /api/annotate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 1000\r\n\r\nGPU clusters"
    )
    started = time.monotonic()
    answer = b""
    try:
        while chunk := s.recv(4096):
            answer += chunk
    except ConnectionResetError:
        pass  # nginx resets a timed-out connection (reset_timedout_connection)
    finally:
        s.close()
    assert 1.5 < time.monotonic() - started < 6
    assert answer == b"", "no answer: the body never reached a worker"
    assert requests.get(f"{proxied.url}/healthz", timeout=5).status_code == 200


def test_nginx_errors_are_json_and_nginx_dies_with_the_master(proxied: Gunicorn, tmp_path: Path) -> None:
    r = requests.post(f"{proxied.url}/api/annotate", data=b"x" * 1_100_000, headers={"Content-Type": "text/plain"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    assert requests.get(f"{proxied.url}/api/terms/gpu", timeout=5).json()["id"] == "gpu"
    nginx = [pid for pid in _children(proxied.process.pid) if _comm(pid) == "nginx"]
    assert len(nginx) == 1
    proxied.process.kill()  # kill -9 of gunicorn's master
    proxied.process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{nginx[0]}").exists() and _comm(nginx[0]) != "":
        time.sleep(0.1)
    assert not Path(f"/proc/{nginx[0]}").exists() or _state(nginx[0]) == "Z", "nginx outlived gunicorn's master"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{proxied.url}/healthz", timeout=2)


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
