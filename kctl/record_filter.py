"""Consume-side filters: ``--grep-key``, ``--grep-value`` and ``--header-filter name=regex``.

Patterns are regular expressions searched (not anchored) in the raw bytes, so they work on
binary data too; a null key or value never matches. All given filters must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kctl.record import Record


@dataclass(frozen=True)
class RecordFilter:
    key: re.Pattern[bytes] | None = None
    value: re.Pattern[bytes] | None = None
    headers: tuple[tuple[str, re.Pattern[bytes]], ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.key or self.value or self.headers)

    def matches(self, r: Record) -> bool:
        if self.key and (r.key is None or not self.key.search(r.key)):
            return False
        if self.value and (r.value is None or not self.value.search(r.value)):
            return False
        for name, pattern in self.headers:
            if not any(n == name and v is not None and pattern.search(v) for n, v in r.headers):
                return False
        return True


def _compile(text: str, what: str) -> re.Pattern[bytes]:
    try:
        return re.compile(text.encode("utf-8"))
    except re.error as e:
        raise ValueError(f"invalid {what} regex {text!r}: {e}") from e


def build_filter(
    grep_key: str | None, grep_value: str | None, header_filters: list[str] | None
) -> RecordFilter:
    headers = []
    for item in header_filters or []:
        name, sep, pattern = item.partition("=")
        if not sep or not name:
            raise ValueError(f"invalid --header-filter {item!r}: expected name=regex")
        headers.append((name, _compile(pattern, "--header-filter")))
    return RecordFilter(
        key=_compile(grep_key, "--grep-key") if grep_key is not None else None,
        value=_compile(grep_value, "--grep-value") if grep_value is not None else None,
        headers=tuple(headers),
    )
