"""whoosh's large columns read in place (through a mapping of the file), not copied into the heap."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import columns
from whoosh.filedb.filestore import FileStorage

from index.backends import whoosh_columns
from index.backends.whoosh_columns import MAPPED_MIN_RECORDS


@pytest.mark.parametrize("column", [columns.VarBytesColumn(), columns.CompressedBytesColumn()], ids=["bytes", "stored"])
@pytest.mark.parametrize("records", [MAPPED_MIN_RECORDS + 5_000, 1_000])
def test_a_column_reads_the_same_values_in_place(tmp_path: Path, column: columns.Column, records: int) -> None:
    """Large columns (stored fields among them) read their offsets where they lie; small ones keep
    whoosh's reader. Either way every value, every gap and the end read as whoosh wrote them."""
    storage = FileStorage(str(tmp_path))
    generator = random.Random(7)
    values = [generator.randbytes(generator.randint(1, 300)) if i % 7 else b"" for i in range(records)]
    out = storage.create_file("column")
    writer = column.writer(out)
    for number, value in enumerate(values):
        if value:
            writer.add(number, value)
    writer.finish(records)
    out.close()
    reader = column.reader(storage.open_file("column"), 0, storage.file_length("column"), records)
    in_place = isinstance(reader._lengths, whoosh_columns._StoredArray)
    assert in_place == (records >= MAPPED_MIN_RECORDS)
    assert [reader[n] for n in range(records)] == values
    if isinstance(column, columns.VarBytesColumn):  # whoosh's compressed iterator chokes on gaps
        assert list(reader) == values
    with pytest.raises(IndexError):
        reader[records]  # a column written short: the caller falls back to the stored fields
