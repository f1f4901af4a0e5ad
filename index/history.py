"""A term's history from git: the commits that changed it, with before/after of its fields."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import HistoryUnavailable, YamlRejected
from index.safe_yaml import parse_yaml

GIT_TIMEOUT = 20


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str
    message: str


@dataclass(frozen=True)
class TermChange:
    commit: Commit
    kind: str  # added | changed | removed
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: tuple[str, ...]  # the fields whose values differ


def _git(path: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(path.parent), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryUnavailable(f"git is not available: {exc}") from None
    if result.returncode != 0:
        raise HistoryUnavailable(result.stderr.strip() or "git failed")
    return result.stdout


def _terms_at(path: Path, sha: str, relative: str) -> dict[str, dict[str, Any]]:
    try:
        text = _git(path, "show", f"{sha}:{relative}")
    except HistoryUnavailable:
        return {}  # the file did not exist in that commit
    try:
        data, _ = parse_yaml(text)
    except YamlRejected:
        return {}
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list):
        return {}
    return {t["id"]: t for t in terms if isinstance(t, dict) and isinstance(t.get("id"), str)}


def commits(path: Path) -> list[Commit]:
    """Commits that touched the glossary file, oldest first."""
    path = Path(path).resolve()
    out = _git(path, "log", "--reverse", "--format=%H%x1f%an%x1f%aI%x1f%s", "--", path.name)
    return [Commit(*line.split("\x1f", 3)) for line in out.splitlines() if line.strip()]


def _relative(path: Path) -> str:
    top = Path(_git(path, "rev-parse", "--show-toplevel").strip())
    return path.resolve().relative_to(top).as_posix()


def _diff(commit: Commit, before: dict[str, Any] | None, after: dict[str, Any] | None) -> TermChange | None:
    if before == after:
        return None
    kind = "added" if before is None else "removed" if after is None else "changed"
    keys = sorted(set(before or {}) | set(after or {}))
    changed = tuple(k for k in keys if (before or {}).get(k) != (after or {}).get(k))
    return TermChange(commit, kind, before, after, changed)


def term_history(path: str | Path, term_id: str) -> list[TermChange]:
    """Every commit that added, changed or removed `term_id`, oldest first."""
    path = Path(path).resolve()
    relative = _relative(path)
    changes, previous = [], None
    for commit in commits(path):
        current = _terms_at(path, commit.sha, relative).get(term_id)
        change = _diff(commit, previous, current)
        if change:
            changes.append(change)
        previous = current
    return changes


def changes_since(path: str | Path, since: str) -> dict[str, list[str]]:
    """Terms added, changed or removed between `since` (a commit or a date) and the file on disk."""
    path = Path(path).resolve()
    relative = _relative(path)
    if _looks_like_date(since):
        sha = _git(path, "rev-list", "-1", f"--before={since}T00:00:00", "HEAD", "--", relative).strip()
        old = _terms_at(path, sha, relative) if sha else {}
    else:
        sha = _git(path, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}").strip()
        old = _terms_at(path, sha, relative)
    data, _ = parse_yaml(path.read_text(encoding="utf-8"))
    new = {t["id"]: t for t in (data or {}).get("terms", []) if isinstance(t, dict) and "id" in t}
    return {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(k for k in set(new) & set(old) if new[k] != old[k]),
        "base": [sha] if sha else [],
    }


def _looks_like_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False
