"""JSON Lines files read lazily: memory-mapped, with stored line offsets, parsed on first use.

At 100k chunks ``chunks.jsonl`` is ~170 MB; parsing it all made up most of
the cold start. With the offsets saved next to it (``*.offsets.npy``) opening
costs nothing, and a query parses only the dozen lines it shows.
"""
from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np


class JsonLines(Sequence):
    """Row ``i`` of a JSON Lines file, parsed by ``parse`` the first time it is asked for."""

    def __init__(self, path: Path, offsets: np.ndarray, parse: Callable[[dict], object],
                 on_error: Callable[[Exception], Exception]):
        self.path = path
        self._offsets = offsets
        self._parse = parse
        self._on_error = on_error
        self._cache: list = [None] * (len(offsets) - 1)
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            self._data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def __len__(self) -> int:
        return len(self._cache)

    @property
    def offsets(self) -> np.ndarray:
        """Byte offset of every line, and the file size at the end."""
        return self._offsets

    def raw(self, i: int) -> bytes:
        """Line ``i`` as stored (UTF-8, no newline): copied forward verbatim by incremental builds."""
        return self._data[int(self._offsets[i]) : int(self._offsets[i + 1]) - 1]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        item = self._cache[i]
        if item is None:
            try:
                item = self._parse(json.loads(self.raw(i)))
            except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
                raise self._on_error(exc) from exc
            self._cache[i] = item
        return item

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))


class JsonLinesMap(Mapping):
    """A read-only ``{key: row}`` view over a :class:`JsonLines` whose keys are known up front."""

    def __init__(self, keys: list[str], rows: JsonLines):
        self._rows = rows
        self._pos = {k: i for i, k in enumerate(keys)}

    def __getitem__(self, key: str):
        return self._rows[self._pos[key]]

    def raw(self, key: str) -> bytes:
        return self._rows.raw(self._pos[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._pos)

    def __len__(self) -> int:
        return len(self._pos)


def line_offsets(lines: Sequence[bytes]) -> np.ndarray:
    """Start of every line and the end of the file, for lines written with one newline each."""
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([len(line) + 1 for line in lines], out=offsets[1:])
    return offsets
