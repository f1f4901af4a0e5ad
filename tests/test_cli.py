"""The `glossary` command, driven through click's runner on real files."""

from __future__ import annotations

from pathlib import Path

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
