"""Counters the broker keeps about itself; the admin endpoint exposes them (issue 3)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Metrics:
    requests: Counter[int] = field(default_factory=Counter)
    bytes_in: int = 0
    bytes_out: int = 0
    produced_bytes: int = 0

    def request(self, api_key: int, size: int) -> None:
        self.requests[api_key] += 1
        self.bytes_in += size + 4

    def response(self, api_key: int, size: int) -> None:
        self.bytes_out += size

    def produced(self, size: int) -> None:
        self.produced_bytes += size
