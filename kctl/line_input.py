"""Turn plain input lines into records for ``kctl produce`` (the non-JSONL input).

A line is bytes without its line terminator (``\\n`` or ``\\r\\n``). With a key delimiter
the key is everything before its first occurrence and the value everything after; a line
without the delimiter has no key (as kcat does). A value equal to the ``--null-value``
string is a tombstone (value null).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kctl.record import Record


@dataclass(frozen=True)
class LineParser:
    key_delimiter: bytes | None = None
    null_value: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()

    def parse(self, line: bytes) -> Record:
        key: bytes | None = None
        value: bytes | None = line
        if self.key_delimiter:
            k, sep, v = line.partition(self.key_delimiter)
            if sep:
                key, value = k, v
        if self.null_value is not None and value == self.null_value:
            value = None
        return Record(key=key, value=value, headers=self.headers)


def strip_terminator(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line


def iter_lines(stream: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a binary stream without terminators."""
    for raw in stream:
        yield strip_terminator(raw)


def parse_header(text: str) -> tuple[str, bytes]:
    """``name=value`` (the value may be empty and may contain ``=``)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"invalid header {text!r}: expected name=value")
    return name, value.encode("utf-8")


def unescape_delimiter(text: str) -> bytes:
    """Let ``--key-delimiter '\\t'`` mean a tab, as users type it in a shell."""
    escapes = {"\\t": "\t", "\\n": "\n", "\\r": "\r", "\\0": "\0"}
    for escaped, char in escapes.items():
        text = text.replace(escaped, char)
    return text.encode("utf-8")
