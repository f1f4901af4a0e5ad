"""Documentation that tests can hold to: every setting is documented, the commands exist."""

from __future__ import annotations

import re

from service.config import DEFAULTS
from tests.support import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for name in DEFAULTS:
        assert f"GLOSSARY_SERVICE_{name}" in README, name
    conf = (ROOT / "service" / "gunicorn_conf.py").read_text()
    for name in set(re.findall(r"GLOSSARY_SERVICE_[A-Z_]+", conf)):
        assert name in README, name


def test_the_two_commands_and_ci() -> None:
    assert "make run" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "test-artifacts/screenshots" in README
