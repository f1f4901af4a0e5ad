"""End to end: a real gunicorn with two workers on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.support import TOKEN, Gunicorn

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_write_is_visible_from_every_worker(server: Gunicorn) -> None:
    assert len(server.workers) == 2
    workers = set()
    for i in range(6):
        doc = {"title": f"Doc {i}", "date": "2025-09-0" + str(i + 1), "text": f"Report {i} on a digital twin."}
        r = requests.put(f"{server.url}/api/documents/e2e/doc-{i}", json=doc, headers=AUTH, timeout=30)
        assert r.status_code == 201, r.text
        for _ in range(4):  # the next requests land on either worker (no keep-alive)
            got = requests.get(f"{server.url}/api/documents/e2e/doc-{i}", timeout=30)
            assert got.status_code == 200 and got.json()["title"] == f"Doc {i}"
            passages = requests.get(f"{server.url}/api/terms/digital-twin/passages?doc=e2e/doc-{i}", timeout=30).json()
            assert passages["total"] == 1
            workers.add(requests.get(f"{server.url}/api/status", timeout=30).json()["worker"])
    deadline = time.monotonic() + 20
    for _ in range(2000):  # bounded: keep reading until both workers have shown the last write
        if len(workers) == 2 or time.monotonic() > deadline:
            break
        got = requests.get(f"{server.url}/api/status", timeout=30).json()
        assert got["index"]["documents"] == 9
        workers.add(got["worker"])
        time.sleep(0.01)  # a busy machine: give the other worker its turn at accept()
    assert len(workers) == 2, "both workers should have answered"
    r = requests.delete(f"{server.url}/api/documents/e2e/doc-0", headers=AUTH, timeout=30)
    assert r.status_code == 204
    for _ in range(6):
        assert requests.get(f"{server.url}/api/documents/e2e/doc-0", timeout=30).status_code == 404


def wait_for(condition, seconds: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {seconds} s")


def test_glossary_edits_reach_every_worker_within_two_seconds(server: Gunicorn, glossary_file: Path) -> None:
    status = requests.get(f"{server.url}/api/status", timeout=30).json()
    old_version = status["glossary"]["version"]
    text = glossary_file.read_text()
    glossary_file.write_text(text.replace("    term: GPU\n", "    term: GPU\n    aliases: [graphics chip]\n"))
    seen: dict[int, dict] = {}  # type: ignore[type-arg]

    def every_worker(check) -> bool:  # type: ignore[no-untyped-def]
        # Ask until both workers have answered since the edit (bounded by wait_for's time limit).
        answers = [requests.get(f"{server.url}/api/status", timeout=30).json() for _ in range(6)]
        for a in answers:
            seen[a["worker"]] = a
        return set(seen) == server.workers and all(check(a) for a in seen.values())

    assert wait_for(lambda: every_worker(lambda a: a["glossary"]["version"] != old_version), 2.0) < 2.0
    new_version = next(iter(seen.values()))["glossary"]["version"]
    for _ in range(8):
        r = requests.get(f"{server.url}/api/lookup?label=graphics%20chips", timeout=30)
        assert r.status_code == 200 and r.json()["term"] == "gpu"

    # An invalid edit: every worker keeps serving the last good glossary and says what is wrong.
    seen.clear()
    glossary_file.write_text(text.replace("  - id: gpu\n", "  - id: gpu\n    colour: red\n"))
    wait_for(lambda: every_worker(lambda a: a["glossary"]["problems"] and a["glossary"]["version"] == new_version), 2.0)
    problem = requests.get(f"{server.url}/api/status", timeout=30).json()["glossary"]["problems"][0]
    colour_line = text.splitlines().index("  - id: gpu") + 2
    assert (problem["term"], problem["field"], problem["line"]) == ("gpu", "colour", colour_line)
    assert requests.get(f"{server.url}/api/lookup?label=graphics%20chip", timeout=30).status_code == 200
    output = server.stop()
    assert "glossary edit rejected" in output and "field colour: Unknown field." in output
