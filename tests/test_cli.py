"""The `glossary` command, driven through click's runner on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.output


def test_check_ok_and_bad(glossary_file: Path, tmp_path: Path) -> None:
    code, out = run("check", str(glossary_file))
    assert code == 0 and "4 terms, no problems" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("terms:\n  - id: x\n    term: X\n    colour: 1\n")
    code, out = run("check", str(bad))
    assert code == 1
    assert f"{bad}:2: term x: field definition: Missing data for required field." in out
    assert f"{bad}:4: term x: field colour: Unknown field." in out


def test_check_reports_a_duplicate_id_beside_other_errors_and_the_nearest_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "terms:\n"
        "  - id: gpu\n    term: GPU\n    definiton: A graphics processor.\n"
        "  - id: gpu\n    term: Graphics card\n    definition: Another.\n"
    )
    code, out = run("check", str(bad))
    assert code == 1
    assert f"{bad}:4: term gpu: field definiton: Unknown field; did you mean `definition`?" in out
    assert f"{bad}:5: term gpu: field id: duplicate id (first used on line 2)" in out
    assert "Traceback" not in out


def test_expected_failures_are_one_line_without_a_traceback(
    tmp_path: Path, glossary_file: Path, corpus_dir: Path
) -> None:
    code, out = run("lookup", "gpu", "--glossary", str(glossary_file), "--index", str(tmp_path / "none"))
    assert code == 1 and out.strip() == f"Error: no index in {tmp_path / 'none'}: run `glossary build`"
    code, out = run("stats", "--glossary", str(glossary_file), "--index", str(tmp_path / "none"))
    assert code == 1 and "run `glossary build`" in out and len(out.strip().splitlines()) == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out = run(
        "build",
        "--glossary",
        str(glossary_file),
        "--corpus",
        str(corpus_dir),
        "--index",
        str(blocker / "ix"),
        "--quiet",
    )
    assert code == 1 and out.strip().endswith("Not a directory") and "Traceback" not in out, out
    code, out = run("lookup", "--limit", "0", "gpu")
    assert code == 2 and "Invalid value for '--limit'" in out
    code, out = run("check", str(tmp_path / "missing.yaml"))
    assert code == 1 and "missing.yaml" in out and len(out.strip().splitlines()) == 1


def test_build_update_lookup_stats_annotate(glossary_file: Path, corpus_dir: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    common = ["--glossary", str(glossary_file), "--index", str(ix)]
    code, out = run("build", *common, "--corpus", str(corpus_dir))
    assert code == 0, out
    assert "built" in out and "3 documents, 7 passages, 4 terms" in out
    assert "skipped" in out and "latin1.txt" in out
    (corpus_dir / "delta.md").write_text("Another digital twin.\n")
    code, out = run("build", *common, "--corpus", str(corpus_dir))
    assert code == 0 and "1 added, 0 changed, 0 removed, 3 unchanged" in out
    code, out = run("lookup", "Digital-Twins", *common)
    assert code == 0 and "digital twin" in out and "[digital twin]" in out and "4 passages" in out
    code, out = run("lookup", "digtal twin", *common)
    assert code == 1 and "did you mean: digital twin" in out
    code, out = run("stats", *common)
    assert code == 0 and "documents\t4" in out and "  digital-twin\t4" in out
    code, out = run("annotate", "-", "--glossary", str(glossary_file), input="Two AI factories and 디지털 트윈을")
    assert code == 0 and out.splitlines() == [
        "4\t16\tai-factory\tinflection\tAI factories",
        "21\t27\tdigital-twin\texact\t디지털 트윈",
    ]


def test_rebuild_flag_and_missing_corpus(glossary_file: Path, corpus_dir: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    assert (
        run("build", "--glossary", str(glossary_file), "--corpus", str(corpus_dir), "--index", str(ix), "--quiet")[0]
        == 0
    )
    code, out = run(
        "build",
        "--glossary",
        str(glossary_file),
        "--corpus",
        str(corpus_dir),
        "--index",
        str(ix),
        "--rebuild",
        "--procs",
        "2",
        "--quiet",
    )
    assert code == 0 and "built" in out
    code, out = run("build", "--glossary", str(glossary_file), "--corpus", str(tmp_path / "nope"), "--index", str(ix))
    assert code == 1 and "no corpus folder" in out


@pytest.mark.parametrize("backend", ["whoosh", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_build_if_missing_builds_once_and_then_leaves_the_index_alone(
    backend: str, glossary_file: Path, corpus_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A container's start: the first builds from the sample corpus; later ones keep what the
    service wrote since (a database that holds documents is not replaced by the image's corpus)."""
    where = ["--index", str(tmp_path / "ix")]
    if backend == "postgresql":
        where = ["--database", request.getfixturevalue("postgres").new_database()]
    build = ["build", "--glossary", str(glossary_file), "--corpus", str(corpus_dir), *where, "--if-missing", "--quiet"]
    code, out = run(*build)
    assert code == 0 and "built" in out, out
    (corpus_dir / "alpha.md").unlink()
    code, out = run(*build)
    assert code == 0 and "holds an index already" in out, out
    code, out = run("stats", *where)
    assert code == 0 and "documents\t3" in out, out
