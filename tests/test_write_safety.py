"""Document writes on a full disk and across kill -9: all or nothing, and recovered by themselves.

The full disk is real: a 20 MB tmpfs mounted for the test (the suite runs as root, as CI does),
filled with a file until the writes fail with ENOSPC. The crashes are real: a writer process
killed with SIGKILL at each step of a write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus, read_document_file
from index.library import Library
from index.vocabulary import load_glossary
from tests.support import DATA, ROOT, TOKEN, Gunicorn

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW = {"text": "Sovereign AI needs GPU clusters. " * 400, "title": "new"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave_bytes: int) -> None:
    """Take all but `leave_bytes` of the disk's free space (tmpfs allocates what is written)."""
    st = os.statvfs(disk)
    left = max(0, st.f_bavail * st.f_frsize - leave_bytes)
    with open(disk / "filler", "ab") as out:
        while left > 0:
            n = min(left, 1 << 20)
            out.write(b"\0" * n)
            left -= n


def tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` with a digest of its content (lock files left out)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith("lock") and p.name != "filler"
    } | {p.relative_to(folder).as_posix() + "/": "" for p in folder.rglob("*") if p.is_dir()}


@pytest.mark.slow
def test_a_full_disk_refuses_writes_with_507_changes_nothing_and_recovers_by_itself(small_disk: Path) -> None:
    corpus, index = small_disk / "corpus", small_disk / "index"
    shutil.copytree(DATA / "corpus", corpus)
    WhooshIndex(index).replace_all(read_corpus(corpus), load_glossary(DATA / "glossary.yaml"))
    glossary = small_disk / "glossary.yaml"
    shutil.copy(DATA / "glossary.yaml", glossary)
    env = {
        "GLOSSARY_SERVICE_GLOSSARY_PATH": str(glossary),
        "GLOSSARY_SERVICE_CORPUS_DIR": str(corpus),
        "GLOSSARY_SERVICE_INDEX_DIR": str(index),
        "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
        "GLOSSARY_SERVICE_CHECK_RESPONSES": "1",
        "GLOSSARY_SERVICE_DERIVED_EVERY_SECONDS": "3600",
    }
    server = Gunicorn(env)
    try:
        existing = "alpha"
        passages = requests.get(server.url + "/api/terms/gpu/passages", timeout=10).json()
        before = tree(small_disk)
        refused = 0
        # From no space at all to room for the journal and the file but not the index commit.
        for leave in (0, 8_192, 16_384, 24_576, 40_960, 65_536):
            fill(small_disk, leave)
            attempts = [
                requests.put(f"{server.url}/api/documents/new/doc", json=NEW, headers=AUTH, timeout=30),
                requests.put(f"{server.url}/api/documents/{existing}", json=NEW, headers=AUTH, timeout=30),
                requests.delete(f"{server.url}/api/documents/{existing}", headers=AUTH, timeout=30),
            ]
            for response in attempts:
                if response.status_code == 507:
                    refused += 1
                    assert response.headers["Content-Type"] == "application/json"
                    assert response.json()["error"]["code"] == "insufficient_storage"
                    assert "Retry-After" in response.headers
                else:  # room enough: the write went through; undo it for the next round
                    assert response.status_code in (200, 201, 204), response.text
            if all(r.status_code == 507 for r in attempts):
                assert tree(small_disk) == before, "a refused write changed the corpus or the index"
            else:
                (small_disk / "filler").unlink()
                requests.delete(f"{server.url}/api/documents/new/doc", headers=AUTH, timeout=30)
                shutil.copy(DATA / "corpus" / f"{existing}.md", corpus / f"{existing}.md")
                subprocess.run(
                    [sys.executable, "-m", "service.cli", "build", "--quiet", "--glossary", str(glossary),
                     "--corpus", str(corpus), "--index", str(index)],
                    cwd=ROOT, check=True, capture_output=True,
                )  # fmt: skip
                before = tree(small_disk)
            # Reads keep answering, from what was there before.
            assert requests.get(server.url + "/api/terms/gpu/passages", timeout=10).json() == passages
            assert requests.get(f"{server.url}/api/documents/new/doc", timeout=10).status_code == 404
            (small_disk / "filler").unlink(missing_ok=True)
        assert refused >= 6
        assert not list(index.glob("gen-*/*.tmp")), "a failed commit left its files behind"
        assert not (corpus / ".pending").exists()
        # Space freed: writes succeed again, without a restart.
        created = requests.put(f"{server.url}/api/documents/new/doc", json=NEW, headers=AUTH, timeout=30)
        assert created.status_code == 201
        assert requests.delete(f"{server.url}/api/documents/{existing}", headers=AUTH, timeout=30).status_code == 204
        found = requests.get(server.url + "/api/terms/gpu/passages?limit=100", timeout=10).json()
        assert any(p["doc"] == "new/doc" for p in found["passages"])
        assert not any(p["doc"] == existing for p in found["passages"])
    finally:
        server.stop()


def test_derived_data_that_cannot_be_stored_leaves_the_index_writable(small_disk: Path) -> None:
    # A whoosh commit that fails keeps the index's write lock until its writer is collected:
    # every document write meanwhile was refused (a CI run lost a document delete to it).
    index = small_disk / "index"
    WhooshIndex(index).replace_all(read_corpus(DATA / "corpus"), load_glossary(DATA / "glossary.yaml"))
    writer = WhooshIndex(index)
    fill(small_disk, 0)
    with pytest.raises(OSError) as failed:
        writer.store_derived("candidates", 1, {"terms": ["x" * 2000] * 2000})
    (small_disk / "filler").unlink()
    assert failed.value is not None  # the failed writer stays referenced, as in a logged traceback
    writer.write(delete=["alpha"], wait_seconds=1)
    with writer.snapshot() as snap:
        assert snap.get_document("alpha") is None
    writer.close()


def test_leftovers_of_a_failed_commit_are_removed_before_the_next_write(tmp_path: Path) -> None:
    index = tmp_path / "index"
    WhooshIndex(index).replace_all(read_corpus(DATA / "corpus"), load_glossary(DATA / "glossary.yaml"))
    gen = (index / "current").resolve()
    committed = set(os.listdir(gen))
    (gen / "MAIN.tmp").mkdir()
    (gen / "MAIN.tmp" / "x.ctmp").write_bytes(b"\0" * 4096)
    (gen / "MAIN_aaaaaaaaaaaaaaaa.pst").write_bytes(b"\0" * 4096)  # a segment no TOC names
    library = Library(tmp_path / "corpus", WhooshIndex(index), index)
    library.put("fresh", "GPU clusters.", {})
    left = set(os.listdir(gen))
    assert "MAIN.tmp" not in left and "MAIN_aaaaaaaaaaaaaaaa.pst" not in left
    assert left - committed, "the write committed a new segment"


# -- kill -9 at each step of a document write -------------------------------------------------
STEPS = {
    # step: (the call after which the writer dies, for a put and for a delete; whether the write survives)
    "journal": ("index.journal.Journal.begin", "index.journal.Journal.begin", False),
    "corpus file": ("index.library.write_atomically", "index.library.fsync_dir", False),
    "index commit": ("index.backends.whoosh._write_into", "index.backends.whoosh._write_into", False),
    "acknowledgement": ("index.journal.Journal.finish", "index.journal.Journal.finish", True),
}

WRITER = textwrap.dedent(
    """
    import functools, importlib, json, os, signal, sys
    from index.backends.whoosh import WhooshIndex
    from index.library import Library

    corpus, index, op, doc_id, target = sys.argv[1:6]
    module_name, _, attr = target.rpartition(".")
    try:
        owner = importlib.import_module(module_name)
    except ModuleNotFoundError:  # a method: module.Class.method
        module_name, _, cls = module_name.rpartition(".")
        owner = getattr(importlib.import_module(module_name), cls)
    original = getattr(owner, attr)

    @functools.wraps(original)
    def then_die(*args, **kwargs):
        original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    setattr(owner, attr, then_die)
    library = Library(corpus, WhooshIndex(index), index)
    if op == "put":
        library.put(doc_id, "Physical AI runs on GPU clusters in AI factories.", {"title": "crashed"})
    else:
        library.delete(doc_id)
    """
)


def _state(library: Library, doc_id: str) -> tuple[str | None, str | None]:
    """(the corpus file's checksum, the indexed document's checksum) for one id."""
    assert library.corpus_dir is not None
    path = library._existing_file(doc_id)
    with library.index.snapshot() as snap:
        doc = snap.get_document(doc_id)
    on_disk = read_document_file(library.corpus_dir, path).checksum if path else None
    return on_disk, doc.checksum if doc else None


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("op", ["put new", "put existing", "delete"])
def test_kill_minus_nine_at_each_step_of_a_write_leaves_corpus_and_index_agreeing(
    tmp_path: Path, step: str, op: str
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(DATA / "corpus", corpus)
    WhooshIndex(index).replace_all(read_corpus(corpus), load_glossary(DATA / "glossary.yaml"))
    library = Library(corpus, WhooshIndex(index), index)
    doc_id = "deep/new/doc" if op == "put new" else "sub/beta"
    before = _state(library, doc_id)
    assert before[0] == before[1] and (op == "put new") == (before[0] is None)
    put_target, delete_target, survives = STEPS[step]
    target = delete_target if op == "delete" else put_target
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(corpus), str(index), op.split()[0], doc_id, target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert writer.returncode == -signal.SIGKILL, writer.stderr

    # The next process to open the corpus (the service at start) undoes an unacknowledged write.
    from service import create_app

    app = create_app(
        {
            "GLOSSARY_PATH": str(DATA / "glossary.yaml"),
            "CORPUS_DIR": str(corpus),
            "INDEX_DIR": str(index),
            "GLOSSARY_POLL_SECONDS": 0.0,
            "BACKGROUND_WRITER_SECONDS": 0.0,
        }
    )
    try:
        after = _state(app.extensions["glossary"].library, doc_id)
    finally:
        app.extensions["glossary"].index.close()
    assert after[0] == after[1], "the corpus file and the index disagree"
    if survives:
        assert after != before
    else:
        assert after == before, f"the unacknowledged {op} was kept after a crash at the {step}"
    assert not (corpus / ".pending").exists()
    if op == "put new" and not survives:
        assert not (corpus / "deep").exists(), "the folders the write made are left"
    # And the corpus folder and the index agree on every document.
    with WhooshIndex(index).snapshot() as snap:
        indexed_ids = set(snap.document_ids())
    assert indexed_ids == {d.id for d in read_corpus(corpus)}
