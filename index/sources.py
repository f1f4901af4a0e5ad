"""sources.yaml: the feeds and pages a deployment follows, validated like the glossary.

    sources:
      - name: nvidia-blog                 # unique; documents it adds are attributed to it
        url: https://blogs.nvidia.com/feed/
        every: 30m                        # how often to poll: 90s, 30m, 2h, 1d (default 1h)
        lang: en                          # optional: when the pages do not say
        tags: [gpu, ai-factory]           # optional

Errors name the line, the source and the field, as the glossary's do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from index.errors import Problem, SourcesInvalid, YamlRejected
from index.glossary import flatten_messages
from index.safe_yaml import line_of, parse_yaml

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
MIN_EVERY_SECONDS = 1  # tests poll fast; a real source is polled every few minutes at most


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    every_seconds: int = 3600
    lang: str | None = None
    tags: tuple[str, ...] = field(default=())


def seconds_of(value: Any) -> int:
    found = _DURATION.match(str(value).strip())
    if not found:
        raise ValidationError("a duration such as 90s, 30m, 2h or 1d")
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    if seconds < MIN_EVERY_SECONDS:
        raise ValidationError(f"at least {MIN_EVERY_SECONDS} s")
    return seconds


class SourceEntry(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))
    url = fields.String(required=True, validate=validate.Regexp(r"^https?://[^\s/$.?#][^\s]*$", error="an http(s) URL"))
    every = fields.Raw(load_default="1h")
    lang = fields.String(validate=validate.Regexp(r"^[a-z]{2,3}$"))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)))

    @validates("every")
    def _every(self, value: Any, **kwargs: Any) -> None:
        seconds_of(value)


class SourcesFile(Schema):
    class Meta:
        unknown = RAISE

    sources = fields.List(fields.Raw(), required=True)


KNOWN = ("name", "url", "every", "lang", "tags", "sources")


def parse_sources(text: str, path: str = "sources.yaml") -> list[Source]:
    try:
        data, root = parse_yaml(text)
    except YamlRejected as exc:
        raise SourcesInvalid([Problem(path, exc.line, None, None, str(exc), "source")]) from None
    if data is None:
        return []
    problems: list[Problem] = []
    try:
        SourcesFile().load(data if isinstance(data, dict) else {"": data})
    except ValidationError as exc:
        for where, message in flatten_messages(exc.messages, known=KNOWN):
            problems.append(
                Problem(path, line_of(root, where, key_line=True), None, ".".join(map(str, where)), message, "source")
            )
        raise SourcesInvalid(problems) from None
    found: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["sources"]):
        name = raw.get("name") if isinstance(raw, dict) else None
        label = name if isinstance(name, str) else f"#{i + 1}"
        if not isinstance(raw, dict):
            problems.append(
                Problem(path, line_of(root, ("sources", i)), label, None, "a source must be a mapping", "source")
            )
            continue
        try:
            loaded = SourceEntry().load(raw)
        except ValidationError as exc:
            for where, message in flatten_messages(exc.messages, known=KNOWN):
                line = line_of(root, ("sources", i, *where), key_line=len(where) == 1)
                problems.append(Problem(path, line, label, ".".join(map(str, where)), message, "source"))
            continue
        if loaded["name"] in seen:
            line = line_of(root, ("sources", i, "name"))
            problems.append(Problem(path, line, label, "name", "another source has this name", "source"))
            continue
        seen.add(loaded["name"])
        found.append(
            Source(
                loaded["name"],
                loaded["url"],
                seconds_of(loaded["every"]),
                loaded.get("lang"),
                tuple(loaded.get("tags", ())),
            )
        )
    if problems:
        raise SourcesInvalid(problems)
    return found


def load_sources(path: str | Path) -> list[Source]:
    """The sources file's entries; a missing file follows nothing."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesInvalid([Problem(path.name, None, None, None, f"cannot read: {exc}")]) from None
    return parse_sources(text, path.name)
