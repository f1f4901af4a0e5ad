"""Types of the compiled hot loop (index/_scan.c); index/matcher.py holds the Python it ports."""

from typing import Any

def configure(to_space: str, to_apostrophe: str, dropped: str, /) -> None: ...
def prepare(text: str, /) -> tuple[str, str, tuple[int, ...], tuple[int, ...]] | None: ...
def scan_words(
    context: tuple[Any, ...],
    scanned: str,
    folded: str,
    text: str,
    breaks: tuple[int, ...],
    shifts: tuple[int, ...],
    code: list[tuple[int, int]] | None,
    hits: list[Any],
    /,
) -> bool: ...
def resolve(hits: list[Any], rules: tuple[str, ...], /) -> list[Any]: ...
