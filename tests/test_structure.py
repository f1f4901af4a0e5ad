"""The seams the design promises, checked on the code itself: which module may import which,
one root for errors, one matcher per glossary version, no hidden analyser state."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import index
from index import korean, vocabulary
from index.errors import GlossaryServiceError
from index.glossary import parse_terms
from index.matcher import Matcher
from index.vocabulary import matcher_for, parse_glossary
from tests.support import ROOT


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_index_never_imports_flask_and_pages_never_import_the_api() -> None:
    for path in (ROOT / "index").rglob("*.py"):
        assert not any(name.split(".")[0] in ("flask", "werkzeug", "service") for name in _imports(path)), path
    assert not any(name.startswith("service.api") for name in _imports(ROOT / "service" / "pages.py"))
    assert not any(name.startswith("service.api") for name in _imports(ROOT / "service" / "render.py"))


def test_no_import_cycle_between_glossary_and_matcher() -> None:
    assert not any(name.startswith("index.matcher") for name in _imports(ROOT / "index" / "glossary.py"))
    assert "index.glossary" in _imports(ROOT / "index" / "matcher.py")


def test_every_engine_error_is_declared_in_errors_under_one_root() -> None:
    for info in pkgutil.walk_packages(index.__path__, "index."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == info.name and info.name != "index.errors":
                raise AssertionError(f"{cls.__name__} is declared in {info.name}, not index.errors")
    import index.errors as errors

    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, BaseException) and cls.__module__ == "index.errors":
            assert issubclass(cls, GlossaryServiceError), cls


GLOSSARY = """terms:
  - id: digital-twin
    term: digital twin
    definition: A live virtual model.
    labels: {ko: [디지털 트윈]}
    examples:
      match: [디지털 트윈을 만들었다.]
"""


def test_one_matcher_per_glossary_version(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Matcher] = []

    class Counted(Matcher):
        def __init__(self, terms: Any) -> None:
            super().__init__(terms)
            built.append(self)

    monkeypatch.setattr(vocabulary, "Matcher", Counted)
    text = GLOSSARY.replace("A live virtual model.", "A live virtual model (one matcher).")
    checked = parse_glossary(text)  # checks the example sentences with the version's matcher
    assert len(built) == 1
    assert matcher_for(checked) is built[0] and matcher_for(parse_glossary(text)) is built[0]
    assert len(built) == 1


def test_building_a_matcher_leaves_the_shared_analyser_alone() -> None:
    glossary = parse_terms(GLOSSARY.replace("디지털 트윈", "쌍둥이 모형 구조"))
    before = set(korean._wanted_words)
    matcher = Matcher(glossary.terms)
    assert matcher.korean_words == {"쌍둥이 모형 구조", "쌍둥이모형구조"}
    assert korean._wanted_words == before
    matcher_for(glossary)  # the one place that builds a version's matcher registers its words
    assert {"쌍둥이 모형 구조", "쌍둥이모형구조"} <= korean._wanted_words
