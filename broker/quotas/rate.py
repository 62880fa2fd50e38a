"""A rate over sampled time windows, measured as Kafka's quota sensors measure it.

Kafka's ``Rate`` over a ``WindowedSum``: values are summed into samples of ``window_ms``
each (a new sample starts when the current one is a window old), ``samples`` of them are
kept plus one that may straddle the oldest edge, and a sample whose last value is
``samples`` windows old is reset. The rate divides the kept sum by the time since the oldest
sample began, but never by less than ``samples - 1`` whole windows, so a client's first
burst is measured against ten seconds (with Kafka's defaults), not against the few
milliseconds it took.

Throttle time (QuotaUtils.throttleTime): for an observed rate O above the bound T over a
window W, the delay X that brings it back is O * W / (W + X) = T, so X = (O - T) / T * W.
Times are integer milliseconds, as in Kafka.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Sample:
    start_ms: int
    last_ms: int
    value: float = 0.0

    def reset(self, now_ms: int) -> None:
        self.start_ms = self.last_ms = now_ms
        self.value = 0.0


@dataclass(slots=True)
class SampledRate:
    samples: int  # quota.window.num
    window_ms: int  # quota.window.size.seconds, in ms
    _kept: list[_Sample] = field(default_factory=list)
    _current: int = 0

    def record(self, value: float, now_ms: int) -> None:
        sample = self._sample(now_ms)
        if now_ms - sample.start_ms >= self.window_ms:
            sample = self._advance(now_ms)
        sample.value += value
        sample.last_ms = now_ms

    def rate(self, now_ms: int) -> float:
        """Per second."""
        return self._per_second(self.window_size(now_ms))

    def window_size(self, now_ms: int) -> int:
        """The milliseconds the rate is measured over (at least 1)."""
        self._purge(now_ms)
        if not self._kept:
            self._kept.append(_Sample(now_ms, now_ms))
        elapsed = now_ms - min(s.start_ms for s in self._kept)
        full = elapsed // self.window_ms
        if full < self.samples - 1:
            elapsed += (self.samples - 1 - full) * self.window_ms
        return max(elapsed, 1)

    def throttle_ms(self, bound: float, now_ms: int) -> int:
        """0 within ``bound`` (per second), else the delay that brings the rate back to it."""
        window = self.window_size(now_ms)
        observed = self._per_second(window)
        if observed <= bound:
            return 0
        delay = (observed - bound) / bound * window
        return math.floor(delay + 0.5)  # Java's Math.round

    def _per_second(self, window_ms: int) -> float:
        """The kept sum over ``window_ms`` (window_size, which purges first)."""
        return sum(s.value for s in self._kept) / (window_ms / 1000)

    def idle_since(self) -> int:
        """When a value was last recorded (ms)."""
        return max((s.last_ms for s in self._kept), default=0)

    def _sample(self, now_ms: int) -> _Sample:
        if not self._kept:
            self._kept.append(_Sample(now_ms, now_ms))
        return self._kept[self._current]

    def _advance(self, now_ms: int) -> _Sample:
        # one more than ``samples``: the sample straddling the oldest edge is still counted
        self._current = (self._current + 1) % (self.samples + 1)
        if self._current >= len(self._kept):
            sample = _Sample(now_ms, now_ms)
            self._kept.append(sample)
            return sample
        sample = self._kept[self._current]
        sample.reset(now_ms)
        return sample

    def _purge(self, now_ms: int) -> None:
        expiry = self.samples * self.window_ms
        for s in self._kept:
            if now_ms - s.last_ms >= expiry:
                s.reset(now_ms)
