"""The installed package, as the Dockerfile installs it: no source tree, only the wheel.

A quick check without a container engine (tests/test_container.py builds and runs the real
image): a non-editable install, `glossary check` and `glossary build` from the installed
console script, and the app serving its page, static files, API docs and migrations from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT


@pytest.mark.slow
def test_the_wheel_serves_the_service_without_the_source_tree(tmp_path: Path) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip wheel --no-deps --wheel-dir /wheels ." in dockerfile and "glossary build" in dockerfile
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "service/templates/term.html",
        "service/static/style.css",
        "service/static/suggest.js",
        "index/backends/migrations/001_documents_passages.sql",
    } <= names, sorted(n for n in names if not n.endswith(".py"))
    assert any(n.startswith("index/_scan.") and n.endswith(".so") for n in names), "the matcher's C loop"
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    work = tmp_path / "srv"  # like the image's WORKDIR, but without index/ and service/ sources
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    glossary = ["-m", "service.cli"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *glossary, *args], cwd=work, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    assert "no problems" in run("check", str(ROOT / "glossary.yaml"))
    assert "built" in run(
        "build",
        "--glossary",
        str(ROOT / "glossary.yaml"),
        "--corpus",
        str(ROOT / "corpus"),
        "--index",
        "var/index",
        "--quiet",
    )
    config = {
        "GLOSSARY_PATH": str(ROOT / "glossary.yaml"),
        "CORPUS_DIR": str(ROOT / "corpus"),
        "INDEX_DIR": "var/index",
    }
    probe = (
        f"import service, json; assert service.__file__.startswith({str(site)!r}), service.__file__\n"
        f"app = service.create_app({config!r})\n"
        "c = app.test_client()\n"
        "from index.matcher import implementation; assert implementation() == 'compiled'\n"
        "print(json.dumps({p: c.get(p).status_code for p in ['/', '/terms/digital-twin', '/static/style.css',"
        " '/api/docs', '/openapi.json', '/api/terms/digital-twin/passages']}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True, check=True)
    assert set(json.loads(out.stdout.strip().splitlines()[-1]).values()) == {200}, out.stdout
