"""whoosh's variable-length columns, read in place instead of copied into every process's heap.

A column of a large segment ends with two arrays, one entry per record: the values' lengths and
their offsets. whoosh's reader copies both into the heap when it opens the column, in every
process and again for every searcher, so a serving worker's heap grew with the corpus (5.5 MB of
arrays at 1M passages). Here both are read where they lie, through a read-only mapping of the
column's file: the kernel's page cache holds them once for every process, and may drop them.
Small segments, whose offsets whoosh never wrote, keep whoosh's own reader.
"""

from __future__ import annotations

import mmap
import struct
from array import array
from collections.abc import Iterator
from typing import Any

from whoosh import columns

MAPPED_MIN_RECORDS = 2**15  # whoosh writes offsets only above this many records (its cutoff)
_read_in_heap = columns.VarBytesColumn.Reader._read_offsets_and_lengths


class _StoredArray:
    """An array as whoosh wrote it (big-endian, the writer's native item size), read in place."""

    def __init__(self, buffer: mmap.mmap, start: int, typecode: str, count: int):
        size = array(typecode).itemsize
        kind = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
        self._format = struct.Struct(">" + (kind.upper() if typecode.isupper() else kind))
        self._buffer, self._start, self._size, self._count = buffer, start, size, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise IndexError(index)
        return int(self._format.unpack_from(self._buffer, self._start + index * self._size)[0])

    def __iter__(self) -> Iterator[int]:
        end = self._start + self._count * self._size
        for (value,) in self._format.iter_unpack(self._buffer[self._start : end]):
            yield value


def _read_in_place(self: Any) -> None:
    dbfile = self._dbfile
    last = self._basepos + self._length - 1
    if self._doccount < MAPPED_MIN_RECORDS or not dbfile.is_real or chr(dbfile.get_byte(last)) != "X":
        _read_in_heap(self)
        return
    lengths_code, offsets_code = chr(dbfile.get_byte(last - 2)), chr(dbfile.get_byte(last - 1))
    buffer = mmap.mmap(dbfile.file.fileno(), 0, access=mmap.ACCESS_READ)
    offsets_start = (last - 2) - self._doccount * array(offsets_code).itemsize
    lengths_start = offsets_start - self._doccount * array(lengths_code).itemsize
    self.had_stored_offsets = True
    self._offsets = _StoredArray(buffer, offsets_start, offsets_code, self._doccount)
    self._lengths = _StoredArray(buffer, lengths_start, lengths_code, self._doccount)


def read_columns_in_place() -> None:
    """Make whoosh's variable-length column readers (stored fields included) read in place."""
    columns.VarBytesColumn.Reader._read_offsets_and_lengths = _read_in_place
