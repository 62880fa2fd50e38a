"""SampledRate measures as Kafka's Rate over a WindowedSum does, and throttles as QuotaUtils."""

from __future__ import annotations

import pytest

from broker.quotas.rate import SampledRate

SECOND = 1000


def test_a_first_burst_is_measured_over_samples_minus_one_windows():
    r = SampledRate(samples=11, window_ms=SECOND)
    r.record(5000, 100_000)
    # 5000 bytes in the first millisecond is 500 B/s over Kafka's minimum of 10 windows
    assert r.window_size(100_000) == 10 * SECOND
    assert r.rate(100_000) == pytest.approx(500)
    assert r.window_size(100_500) == 10 * SECOND + 500  # 0 full windows elapsed: 10 added


def test_rate_over_whole_windows_once_they_have_passed():
    r = SampledRate(samples=3, window_ms=SECOND)
    for t in range(0, 2500, 100):  # 25 values of 40 over 2.5 s
        r.record(40, t)
    # samples start at 0, 1000, 2000: elapsed 2.4 s has 2 full windows (= samples - 1)
    assert r.window_size(2400) == 2400
    assert r.rate(2400) == pytest.approx(1000 / 2.4)


def test_old_samples_are_recycled_and_reset_after_idling():
    r = SampledRate(samples=2, window_ms=SECOND)
    r.record(1000, 0)
    r.record(1000, 1000)
    r.record(1000, 2000)
    # the sample from 0 is samples x window old: reset, so 2000 over the 1 s since 1000
    assert r.rate(2000) == pytest.approx(2000)
    r.record(1000, 3000)  # a fourth sample: the ring of samples + 1 reuses the first slot
    assert r.rate(3000) == pytest.approx(2000)
    # every sample's last value is samples x window old: all reset, nothing left
    assert r.rate(5000) == 0.0


def test_throttle_time_brings_the_rate_back_to_the_bound():
    r = SampledRate(samples=11, window_ms=SECOND)
    r.record(20_000, 0)  # 2000 B/s measured over 10 s
    assert r.throttle_ms(2000, 0) == 0  # at the bound exactly: within it
    # O = 2000, T = 1000, W = 10 s: X = (O - T) / T * W = 10 s
    assert r.throttle_ms(1000, 0) == 10_000
    assert r.throttle_ms(1500, 0) == 3333  # (2000 - 1500) / 1500 * 10 s


def test_throttle_time_rounds_as_java_does():
    r = SampledRate(samples=2, window_ms=SECOND)
    r.record(1000.5, 0)  # 1000.5 B/s over 1 s against 1000: 0.5 ms
    assert r.throttle_ms(1000, 0) == 1  # Math.round(0.5) is 1 (Python's round gives 0)


def test_negative_values_take_back_what_was_recorded():
    r = SampledRate(samples=2, window_ms=SECOND)
    r.record(3000, 0)
    r.record(-3000, 10)
    assert r.rate(10) == 0.0 and r.throttle_ms(1, 10) == 0
