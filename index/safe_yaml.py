"""YAML reading that cannot be turned against us: safe types only, no aliases, size capped."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent

from index.errors import YamlRejected

DEFAULT_MAX_BYTES = 1_000_000


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases, so no alias bomb can expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, "aliases are not allowed", event.start_mark)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if getattr(event, "anchor", None):
            raise ComposerError(None, None, "anchors are not allowed", event.start_mark)
        return super().compose_node(parent, index)


# libyaml's parser, when PyYAML was built with it: ~10x faster, used for document front
# matter (read once per file in a build). Its messages differ a little from PyYAML's, so the
# glossary, whose errors people read, keeps the pure-Python parser.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_anchors(text: str) -> None:
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
            mark: Any = event.start_mark  # libyaml's Mark type or PyYAML's
            raise ComposerError(None, None, "anchors and aliases are not allowed", mark)


def parse_yaml(text: str, max_bytes: int = DEFAULT_MAX_BYTES, fast: bool = False) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text into (data, node tree); the node tree locates lines for errors."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YamlRejected(f"file is larger than the limit of {max_bytes} bytes")
    try:
        if fast and _FAST_LOADER is not None:
            _refuse_anchors(text)  # before composing, so no alias bomb can expand
            loader = _FAST_LOADER(text)
        else:
            loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlRejected(f"{exc.problem or exc.context or 'invalid YAML'}", line) from None
    except yaml.YAMLError as exc:
        raise YamlRejected(f"invalid YAML: {exc}") from None
    return data, node


def line_of(node: yaml.Node | None, path: tuple[Any, ...], key_line: bool = False) -> int | None:
    """1-based line of the value at `path` (or of the deepest part of it that exists)."""
    if node is None:
        return None
    current = node
    for part in path:
        child = None
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if key.value == str(part):
                    child = key if (key_line and part == path[-1]) else value
                    break
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(current.value):
            child = current.value[part]
        if child is None:
            break
        current = child
    return current.start_mark.line + 1


def round_trip_yaml() -> Any:
    """ruamel.yaml set up for editing our files in place: comments, order, quotes and the files'
    own layout ("terms:\n  - id: ...") kept, no line wrapping."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
