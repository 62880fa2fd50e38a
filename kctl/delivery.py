"""Send records through a confluent-kafka Producer and account for every delivery report.

The producer is idempotent when acks=all (the default), so librdkafka's own retries never
duplicate a record; kctl itself never re-sends. A record counts as produced only when the
broker acknowledged it; anything else is a failure that makes the command exit non-zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from kctl.record import Record

MAX_ERRORS_KEPT = 5  # enough to explain a failure without flooding stderr


@dataclass
class DeliveryStats:
    acked: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # What failed the first record: a confluent_kafka KafkaError when librdkafka said,
    # so the command can exit with the code for that kind of error.
    first_cause: Any = None
    # (topic, partition, offset) of the last acknowledged record, for interactive feedback.
    last: tuple[str, int, int] | None = None

    def note_failure(self, message: str, cause: Any = None) -> None:
        if not self.failed:
            self.first_cause = cause
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message)


class RateLimiter:
    """Pace calls to at most ``per_second`` a second (a token bucket of one second's burst)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / per_second
        self.clock = clock
        self.next_at = clock()

    def delay(self) -> float:
        """Seconds to wait before the next call may go; reserves that slot."""
        now = self.clock()
        # Do not bank more than a second of idle time as burst.
        self.next_at = max(self.next_at, now - 1.0)
        wait = max(self.next_at - now, 0.0)
        self.next_at += self.interval
        return wait


def parse_rate(text: str) -> float:
    """``100``, ``100/s``, ``6000/m`` or ``2/h`` as records per second."""
    num, _, unit = text.strip().partition("/")
    scale = {"": 1.0, "s": 1.0, "m": 1 / 60, "h": 1 / 3600}.get(unit.strip().lower())
    try:
        value = float(num)
    except ValueError:
        value = -1.0
    if scale is None or value <= 0:
        raise ValueError(f"invalid rate {text!r}: use N/s, N/m or N/h with N > 0 (e.g. 100/s)")
    return value * scale


class Sender:
    """Produce records, applying back-pressure when librdkafka's queue is full."""

    def __init__(
        self,
        producer: Any,
        rate: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.producer = producer
        self.stats = DeliveryStats()
        self.limiter = RateLimiter(rate) if rate else None
        self.sleep = sleep

    def _on_delivery(self, err: Any, msg: Any) -> None:
        if err is not None:
            where = f"{msg.topic()}[{msg.partition()}]" if msg is not None else "?"
            self.stats.note_failure(f"{where}: {err.str() if hasattr(err, 'str') else err}", err)
        else:
            self.stats.acked += 1
            self.stats.last = (msg.topic(), msg.partition(), msg.offset())

    def send(self, record: Record, topic: str, partition: int | None = None) -> None:
        if self.limiter:
            wait = self.limiter.delay()
            if wait:
                self.sleep(wait)
        kwargs: dict[str, Any] = {
            "key": record.key,
            "value": record.value,
            "on_delivery": self._on_delivery,
        }
        if record.headers:
            kwargs["headers"] = list(record.headers)
        if partition is not None:
            kwargs["partition"] = partition
        if record.timestamp is not None:
            kwargs["timestamp"] = record.timestamp
        while True:
            try:
                self.producer.produce(topic, **kwargs)
                break
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self.producer.poll(0.1)
            except Exception as e:  # KafkaException, TypeError from bad arguments
                cause = e.args[0] if isinstance(e, KafkaException) and e.args else e
                self.stats.note_failure(f"{topic}: {getattr(cause, 'str', e.__str__)()}", cause)
                return
        self.producer.poll(0)

    def finish(self, timeout: float) -> DeliveryStats:
        """Wait for every outstanding delivery report (up to ``timeout`` seconds)."""
        remaining = self.producer.flush(timeout)
        if remaining:
            message = f"{remaining} record(s) not acknowledged within {timeout:g}s"
            self.stats.note_failure(message, KafkaError(KafkaError._TIMED_OUT, message))
            self.stats.failed += remaining - 1
        return self.stats
