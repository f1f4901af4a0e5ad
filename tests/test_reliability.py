"""Reliability and security: API fuzzing, kill -9, two writers, bad glossary saves, hostile
input, static security checks, and a bounded soak. `make test-slow` runs the long versions
(RELIABILITY_FULL=1: a 60 s soak, five kill -9 rounds); CI runs the short ones."""

from __future__ import annotations

import inspect
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.errors import GlossaryInvalid
from index.library import Library
from index.live import LiveGlossary
from index.store import Store
from index.vocabulary import load_glossary
from service.api import contract
from tests.support import ROOT, TOKEN, Gunicorn, PostgresServer, free_port
from tests.support.postings import full_match, passage_ids, postings_of
from tests.support.soak import soak
from tests.support.synth import generate

FULL = os.environ.get("RELIABILITY_FULL") == "1"


# -- API fuzzing ---------------------------------------------------------------------------
@pytest.fixture
def api_schema(glossary_file: Path, corpus_dir: Path, index_dir: Path) -> Any:
    """Fuzzed on the default backend: the API layer above the index is the same code on both."""
    from service import create_app

    app = create_app(
        {
            "GLOSSARY_PATH": str(glossary_file),
            "CORPUS_DIR": str(corpus_dir),
            "INDEX_DIR": str(index_dir),
            "WRITE_TOKEN": TOKEN,
            "GLOSSARY_POLL_SECONDS": 0.0,
        }
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


@pytest.mark.slow
def test_fuzz_every_endpoint(api_schema: Any) -> None:
    """No 5xx; status codes, content types and bodies as /openapi.json documents them.

    Driven through schemathesis's own strategies (its pytest plugin does not support pytest 9).
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40 if not FULL else 300,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=not FULL,  # CI: the same cases every run; make test-slow explores
            database=None,
        )
        def check(case: Any) -> None:
            # A CSV's validity (a header with `id`, rows that keep the glossary valid), an HTML
            # page's or a PDF's (an article with text), or a URL's (a host that answers with one)
            # is more than a JSON Schema can say: refusing a schema-valid one (400/422) is right.
            to_fetch = isinstance(case.body, dict) and case.body.get("url") and not case.body.get("text")
            files = case.path == "/api/import" or case.media_type in ("text/html", "application/pdf")
            excluded = [positive_data_acceptance] if files or to_fetch else []
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=excluded)

        check()


# -- faults --------------------------------------------------------------------------------
def glossary_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("big") / "corpus"
    generate(load_glossary(ROOT / "glossary.yaml"), 30_000, corpus, seed=3)
    return corpus


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_kill_minus_nine_during_a_rebuild(
    tmp_path: Path, corpus_dir: Path, glossary_file: Path, big_corpus: Path
) -> None:
    ix = tmp_path / "ix"
    WhooshIndex(ix).replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
    index = WhooshIndex(ix)
    library = Library(corpus_dir, index, ix)
    rounds = 5 if FULL else 1
    for round_number in range(rounds):
        library.put(f"acked/doc-{round_number}", "An acknowledged digital twin.", {})  # acknowledged before the kill
        before = Store(index.snapshot()).counts()
        builder = glossary_cli(
            "build",
            "--rebuild",
            "--procs",
            "2",
            "--quiet",
            "--glossary",
            str(glossary_file),
            "--corpus",
            str(big_corpus),
            "--index",
            str(ix),
        )
        deadline = time.monotonic() + 60
        while len(list(ix.glob("gen-*"))) < 2 and time.monotonic() < deadline:  # wait until it builds aside
            time.sleep(0.02)
        time.sleep(0.5 + 0.3 * round_number)
        children = _children(builder.pid)
        assert children, "the build runs writer processes"
        builder.send_signal(signal.SIGKILL)
        builder.wait()
        gone_by = time.monotonic() + 3
        while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(Path(f"/proc/{c}").exists() for c in children), "the writer processes died with the build"
        assert builder.stdout is not None
        builder.stdout.close()
        assert Store(index.snapshot()).counts() == before  # readers still answer from the last complete index
        assert set(passage_ids(index, "digital-twin")) >= {f"acked/doc-{round_number}:1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "build",
            "--rebuild",
            "--quiet",
            "--glossary",
            str(glossary_file),
            "--corpus",
            str(corpus_dir),
            "--index",
            str(ix),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(ix.glob("gen-*"))) == 1  # the killed builds' leftovers were cleaned up
    ids = {p.rsplit(":", 1)[0] for p in passage_ids(index, "digital-twin")}
    assert {f"acked/doc-{n}" for n in range(rounds)} <= ids  # no acknowledged write was lost


@pytest.mark.slow
def test_kill_minus_nine_during_an_incremental_update(tmp_path: Path, glossary_file: Path, big_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(big_corpus.glob("*.md"))[:1500]:
        (corpus / path.name).write_bytes(path.read_bytes())
    ix = tmp_path / "ix"
    WhooshIndex(ix).replace_all(read_corpus(corpus), load_glossary(glossary_file))
    index = WhooshIndex(ix)
    before = Store(index.snapshot()).counts()
    for path in sorted(big_corpus.glob("*.md"))[1500:3000]:  # 1,500 new documents to add
        (corpus / path.name).write_bytes(path.read_bytes())
    updater = glossary_cli(
        "build", "--quiet", "--glossary", str(glossary_file), "--corpus", str(corpus), "--index", str(ix)
    )
    time.sleep(1.5)
    updater.send_signal(signal.SIGKILL)
    updater.wait()
    assert updater.stdout is not None
    updater.stdout.close()
    after = Store(index.snapshot()).counts()
    assert after.documents in (1500, 3000)  # either the old or the new commit, never half
    assert after.passages in (before.passages, before.passages * 2)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "build",
            "--quiet",
            "--glossary",
            str(glossary_file),
            "--corpus",
            str(corpus),
            "--index",
            str(ix),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert Store(index.snapshot()).counts().documents == 3000
    assert postings_of(index) == full_match(index)


@pytest.mark.slow
def test_two_writers_at_once(tmp_path: Path, glossary_file: Path, big_corpus: Path, corpus_dir: Path) -> None:
    ix = tmp_path / "ix"
    WhooshIndex(ix).replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
    writers = [
        glossary_cli(
            "build",
            "--rebuild",
            "--quiet",
            "--glossary",
            str(glossary_file),
            "--corpus",
            str(big_corpus),
            "--index",
            str(ix),
        )
        for _ in range(2)
    ]
    outputs = []
    for w in writers:
        out, _ = w.communicate(timeout=300)
        outputs.append((w.returncode, out))
    codes = sorted(code for code, _ in outputs)
    assert codes == [0, 1], outputs
    failed = next(out for code, out in outputs if code == 1)
    assert "another process is writing the index" in failed
    assert Store(WhooshIndex(ix).snapshot()).counts().passages == 30_000  # the one that ran built a whole index


def test_half_written_or_truncated_glossary_keeps_the_last_good_one(glossary_file: Path) -> None:
    live = LiveGlossary(glossary_file, poll_seconds=0)
    good = live.current.version
    text = glossary_file.read_text()
    for broken in (text[: len(text) // 2], text[: text.index("definition")], "", text + "\n  - id: [oops\n"):
        glossary_file.write_text(broken)
        assert live.refresh(force=True).version == good
        assert live.problems
    glossary_file.unlink()
    assert live.refresh(force=True).version == good and "missing" in live.problems[0].message
    glossary_file.write_text(text)
    assert live.refresh(force=True).version == good and live.problems == []


# -- hostile input ---------------------------------------------------------------------------
def test_alias_bomb_and_50_mb_glossary_are_rejected_fast(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb.write_text("\n".join(lines) + "\nterms: []\n")
    huge = tmp_path / "huge.yaml"
    with huge.open("w") as out:
        out.write("terms:\n")
        for i in range(600_000):
            out.write(f"  - id: t{i}\n    term: term {i}\n    definition: padding padding padding padding\n")
    assert huge.stat().st_size > 50_000_000
    for path, message in ((bomb, "not allowed"), (huge, "larger than the limit")):
        start = time.perf_counter()
        with pytest.raises(GlossaryInvalid, match=message):
            load_glossary(path)
        assert time.perf_counter() - start < 1.0


def test_huge_request_bodies_and_operator_queries(client: Any) -> None:
    assert client.post("/api/annotate", data="x" * 5_000_000, content_type="text/plain").status_code == 413
    for q in [
        "AND OR NOT ( ) [ ] { } ^ ~ * ? : \\ /",
        '"' * 50,
        "a" * 500,
        "title:x OR content:y",
        "NOT",
        "((a) OR (b)",
    ]:
        assert client.get("/api/search", query_string={"q": q}).status_code == 200


# -- security --------------------------------------------------------------------------------
def test_security_properties(app: Any, client: Any) -> None:
    assert app.debug is False
    assert "hmac.compare_digest" in inspect.getsource(contract.require_write_token)  # constant-time token check
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["test"]
    assert all("==" in d for d in deps), [d for d in deps if "==" not in d]
    r = client.get("/")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert (
        client.post(
            "/api/documents", json={"id": "x", "text": "y"}, headers={"Authorization": f"Bearer {TOKEN}x"}
        ).status_code
        == 401
    )


# -- soak ------------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def soak_server(gunicorn_env: dict[str, str]) -> Iterator[Gunicorn]:
    server = Gunicorn(gunicorn_env)
    yield server
    server.stop()


@pytest.mark.slow
def test_soak_mixed_reads_and_writes(soak_server: Gunicorn) -> None:
    warm_up, seconds = (10.0, 60.0) if FULL else (6.0, 10.0)
    first = soak(soak_server.url, TOKEN, warm_up, tag="warm")
    workers = sorted(soak_server.worker_pids())  # the serving workers (the master also has the writer process)
    assert len(workers) == 2
    baseline = {pid: rss_mb(pid) for pid in workers}
    second = soak(soak_server.url, TOKEN, seconds, tag="main")
    after = {pid: rss_mb(pid) for pid in workers}
    assert first.errors == [] and second.errors == [], (first.errors + second.errors)[:5]
    assert set(workers) == soak_server.worker_pids()  # no worker died or was replaced
    for pid in workers:
        assert after[pid] <= baseline[pid] * 1.10, f"worker {pid}: {baseline[pid]:.0f} MB -> {after[pid]:.0f} MB"
    kept = (first.written | second.written) - first.deleted - second.deleted
    gone = first.deleted | second.deleted
    assert second.requests > 50 and kept
    session = requests.Session()
    for doc_id in sorted(kept):
        assert session.get(f"{soak_server.url}/api/documents/{doc_id}", timeout=10).status_code == 200, doc_id
    for doc_id in sorted(gone):
        assert session.get(f"{soak_server.url}/api/documents/{doc_id}", timeout=10).status_code == 404, doc_id
    print(f"soak: {first.requests + second.requests} requests, {len(kept)} documents kept, RSS {baseline} -> {after}")


# -- a worker must boot whatever the glossary file or the database is doing ------------------------
def _wait_for(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:  # bounded by the deadline
        try:
            found = check()
            if found:
                return found
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


# Root reads any file whatever its mode; without these capabilities it obeys the mode like any user.
AS_A_USER = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["invalid", "deleted", "unreadable"])
def test_a_worker_restarted_under_a_bad_glossary_boots_and_serves(
    gunicorn_env: dict[str, str], glossary_file: Path, damage: str
) -> None:
    server = Gunicorn(gunicorn_env, prefix=AS_A_USER if damage == "unreadable" else ())
    try:
        if damage == "invalid":
            glossary_file.write_text("terms:\n  - id: [x\n")
        elif damage == "deleted":
            glossary_file.unlink()
        else:
            glossary_file.chmod(0)
        # Reported before any restart (an unreadable file was not: the watcher only saw mtime and size).
        _wait_for(lambda: requests.get(f"{server.url}/api/status", timeout=5).json()["glossary"]["problems"])
        killed = server.worker_pids()
        assert len(killed) == 2
        for pid in killed:
            os.kill(pid, signal.SIGKILL)  # gunicorn boots new ones, under the bad file
        _wait_for(lambda: len(server.worker_pids() - killed) == 2)
        _wait_for(lambda: requests.get(f"{server.url}/api/status", timeout=5).json()["worker"] not in server.workers)
        assert server.process.poll() is None, "the master must stay up"
        r = requests.get(f"{server.url}/api/terms/gpu", timeout=5)
        assert r.status_code == 200 and r.json()["id"] == "gpu"  # the index's glossary still serves
        problems = requests.get(f"{server.url}/api/status", timeout=5).json()["glossary"]["problems"]
        assert problems and problems[0]["file"] == "glossary.yaml"
        expected = {"invalid": "", "deleted": "missing", "unreadable": "Permission denied"}[damage]
        assert expected in problems[0]["message"]
    finally:
        glossary_file.chmod(0o644) if glossary_file.exists() else None
        server.stop()


@pytest.mark.postgres
def test_a_database_down_at_start_is_not_fatal_and_recovers_without_a_restart(
    gunicorn_env: dict[str, str], corpus_dir: Path, glossary_file: Path
) -> None:
    from index.backends.postgres import PostgresIndex

    server_db = PostgresServer(free_port())
    try:
        url = server_db.new_database()
        loaded = PostgresIndex(url)
        loaded.replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
        loaded.close()
        server_db.pause()
        service = Gunicorn({**gunicorn_env, "DATABASE_URL": url}, ready_path="/healthz")
        try:
            assert requests.get(f"{service.url}/healthz", timeout=5).status_code == 200  # liveness
            ready = requests.get(f"{service.url}/readyz", timeout=10)
            assert ready.status_code == 503 and ready.json()["error"]["code"] == "index_unavailable"
            started = time.monotonic()
            down = requests.get(f"{service.url}/api/terms/gpu", timeout=30)
            assert down.status_code == 503 and down.headers["Retry-After"], down.text
            assert time.monotonic() - started < 10, "fail fast, not after a pool timeout of 30 s"
            assert service.process.poll() is None
            server_db.resume()
            _wait_for(lambda: requests.get(f"{service.url}/readyz", timeout=10).status_code == 200, 60)
            assert requests.get(f"{service.url}/api/terms/gpu", timeout=10).json()["id"] == "gpu"
        finally:
            service.stop()
    finally:
        server_db.stop()


@pytest.mark.postgres
def test_a_database_outage_under_load_fails_fast_and_recovers_without_a_restart(
    gunicorn_env: dict[str, str], corpus_dir: Path, glossary_file: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from index.backends.postgres import PostgresIndex

    server_db = PostgresServer(free_port())
    try:
        url = server_db.new_database()
        loaded = PostgresIndex(url)
        loaded.replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
        loaded.close()
        service = Gunicorn({**gunicorn_env, "DATABASE_URL": url, "GLOSSARY_SERVICE_RESPONSE_CACHE_SIZE": "0"})
        paths = ["/api/terms/gpu", "/api/terms/gpu/passages", "/api/search?q=twin", "/api/terms?lang=en"]

        def load(seconds: float) -> list[tuple[int, float, bool]]:
            """Four clients reading for `seconds`: (status, seconds taken, Retry-After given)."""

            def client(n: int) -> list[tuple[int, float, bool]]:
                seen, end = [], time.monotonic() + seconds
                for i in range(100_000):  # bounded by time, and by count
                    if time.monotonic() > end:
                        break
                    started = time.monotonic()
                    r = requests.get(service.url + paths[(n + i) % len(paths)], timeout=60)
                    seen.append((r.status_code, time.monotonic() - started, "Retry-After" in r.headers))
                return seen

            with ThreadPoolExecutor(4) as pool:
                return [x for part in pool.map(client, range(4)) for x in part]

        try:
            assert {status for status, _, _ in load(2)} == {200}
            server_db.pause()  # stopped under load: the pooled connections break
            down = load(8)
            assert {status for status, _, _ in down} <= {200, 503}, "no 500 while the database is down"
            refused = [(took, retry) for status, took, retry in down if status == 503]
            assert len(refused) > 20 and all(retry for _, retry in refused)
            assert max(took for took, _ in refused) < 5, "fail fast, not after a 30 s pool timeout"
            print(f"outage: {len(refused)} refused of {len(down)}, slowest {max(t for t, _ in refused):.3f} s")
            started = time.monotonic()
            assert requests.get(service.url + "/healthz", timeout=5).status_code == 200  # liveness
            assert time.monotonic() - started < 1
            assert requests.get(service.url + "/readyz", timeout=10).status_code == 503
            server_db.resume()
            _wait_for(lambda: requests.get(f"{service.url}/readyz", timeout=10).status_code == 200, 60)
            # Each worker lets one request a second probe the database, and the first that finds
            # it back renews the pool: a second later every worker answers at once, although the
            # pool's own reconnect attempts are still backing off from the 8 s outage.
            time.sleep(1.2)
            after = load(2)
            assert {status for status, _, _ in after} == {200}, "recovered without a restart"
            assert max(took for _, took, _ in after) < 2, "no wait on connections the outage left behind"
            assert service.process.poll() is None
        finally:
            service.stop()
    finally:
        server_db.stop()


@pytest.mark.postgres
def test_the_background_writer_lock_is_asked_for_again_after_a_database_restart(
    corpus_dir: Path, glossary_file: Path
) -> None:
    """A restart drops the session lock with its connection: the old holder must not go on
    believing it holds it while another process takes it (two writers in one deployment)."""
    from index.backends.postgres import PostgresIndex

    server_db = PostgresServer(free_port())
    try:
        url = server_db.new_database()
        first, second = PostgresIndex(url), PostgresIndex(url)
        first.replace_all(read_corpus(corpus_dir), load_glossary(glossary_file))
        assert first.try_writer_lock() and not second.try_writer_lock()
        server_db.pause()
        server_db.resume()
        assert second.try_writer_lock(), "the restart released the lock"
        assert not first.try_writer_lock(), "the old holder knows it lost it"
        second.close()
        assert first.try_writer_lock()
        first.close()
    finally:
        server_db.stop()


# -- bounded answers, nothing leaked ---------------------------------------------------------------
def test_annotate_answers_are_bounded(client: Any) -> None:
    body = "GPU " * 250_000  # 1 MB, the body limit: 250,000 matches
    r = client.post("/api/annotate", data=body, content_type="text/plain")
    assert r.status_code == 200
    found = r.get_json()
    assert (found["total"], found["truncated"], len(found["matches"])) == (250_000, True, 10_000)
    assert len(r.get_data()) < 1_500_000  # not the 17.9 MB of every match
    r = client.post("/api/annotate?limit=2&overlaps=all", json={"text": "GPU, GPU and GPU."})
    assert (r.get_json()["total"], r.get_json()["truncated"], len(r.get_json()["matches"])) == (3, True, 2)


def test_status_tells_no_process_ids_or_paths_and_deletes_leave_no_folders(
    client: Any, corpus_dir: Path, backend: str
) -> None:
    status = client.get("/api/status").get_json()
    assert status["worker"] != str(os.getpid()) and not status["worker"].isdigit()
    assert status["glossary"]["path"] == "glossary.yaml"  # a name, not where it lives
    deep = "/".join(f"s{i}" for i in range(40)) + "/doc"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.put(f"/api/documents/{deep}", json={"text": "A GPU."}, headers=auth).status_code == 201
    assert client.delete(f"/api/documents/{deep}", headers=auth).status_code == 204
    if backend == "whoosh":  # with PostgreSQL the database, not a folder, holds documents
        assert not (corpus_dir / "s0").exists()


def test_bodies_that_cannot_be_read_are_refused_not_500(client: Any) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    deep = '{"text": ' + "[" * 1000 + "]" * 1000 + "}"
    r = client.post("/api/annotate", data=deep, content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_json"
    r = client.put("/api/documents/lone", data='{"text": "a \\ud800 b"}', content_type="application/json", headers=auth)
    assert r.status_code == 422 and "surrogate" in str(r.get_json()["error"]["details"])
    for charset in ("latin-1", "bogus"):
        body = '{"text": "GPU é"}'.encode("latin-1")
        r = client.post("/api/annotate", data=body, content_type=f"application/json; charset={charset}")
        assert r.status_code == 415, charset
    r = client.post("/api/import", data="{}", content_type="text/csv", headers=auth)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_csv"


def test_a_chunked_body_over_the_limit_is_refused(server: Gunicorn) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(1_200):  # 1.2 MB, over the 1 MB limit, with no Content-Length
            yield b"GPU " * 250

    r = requests.post(f"{server.url}/api/annotate", data=chunks(), headers={"Content-Type": "text/plain"}, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large", r.text[:200]
    small = requests.post(
        f"{server.url}/api/annotate", data=iter([b"A GPU."]), headers={"Content-Type": "text/plain"}, timeout=60
    )
    assert small.status_code == 200 and small.json()["total"] == 1
