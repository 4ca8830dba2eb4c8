"""Reading a live stream: complete lines in bursts as they arrive, bad bytes and overlong lines kept
for ingest to reject (never fatal), whatever the chunking of the pipe."""

from __future__ import annotations

import io

import pytest

from tocsin.cli.run_cmd import MAX_LINE_BYTES, _bursts
from tocsin.ingest.records import MAX_LINE_CHARS


class _Chunks(io.RawIOBase):
    """A raw stream returning the given chunks one read at a time, like a pipe."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if not self.chunks:
            return 0
        data = self.chunks.pop(0)
        if len(data) > len(b):  # a pipe read returns at most what was asked for
            data, rest = data[: len(b)], data[len(b) :]
            self.chunks.insert(0, rest)
        b[: len(data)] = data
        return len(data)


def _read(chunks: list[bytes]) -> list[list[str]]:
    return list(_bursts(io.BufferedReader(_Chunks(chunks), buffer_size=1 << 20)))


def test_lines_split_across_reads_come_whole_in_bursts() -> None:
    assert _read([b'{"a": 1}\n{"b"', b": 2}\n{", b'"c": 3}\n', b"tail"]) == [
        ['{"a": 1}'],
        ['{"b": 2}'],
        ['{"c": 3}'],
        ["tail"],
    ]


def test_bad_utf8_is_kept_as_surrogates() -> None:
    (burst,) = _read([b'{"x": "\xff"}\n'])
    assert burst == ['{"x": "\udcff"}']


@pytest.mark.parametrize("piece", [1000, 65536, MAX_LINE_BYTES + 7])
def test_an_overlong_line_is_cut_once_and_the_next_line_survives(piece: int) -> None:
    line = b"{" + b" " * (3 * MAX_LINE_BYTES) + b"}\n"
    data = line + b'{"next": 1}\n'
    chunks = [data[i : i + piece] for i in range(0, len(data), piece)]
    got = [x for burst in _read(chunks) for x in burst]
    assert len(got) == 2
    assert len(got[0]) == MAX_LINE_BYTES > MAX_LINE_CHARS
    assert got[1] == '{"next": 1}'
