"""Quota enforcement on requests: record each client's usage, answer with a throttle time,
and mute the connection for that time after the response (KIP-219), as Kafka does.

* producer_byte_rate: a Produce request's size is recorded after its records are appended.
* consumer_byte_rate: a Fetch may return at most what the quota allows in its window
  (rate x (quota.window.num - 1) x window), its response size is recorded, and a throttled
  Fetch returns no data (the size is taken back: the client fetches it again later).
* request_percentage: the time the handler ran (not the time it waited) counts, as a
  percentage of one thread per second; its throttle time is at most one window. SASL and
  cluster actions (WriteTxnMarkers) are exempt, and so is an acks=0 Produce.
* controller_mutation_rate and connection_creation_rate are stored, not enforced.

The broker holds this object in ``client_quotas`` only while a quota it enforces exists;
without one the connection's request path tests that attribute and nothing more.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from broker.handlers.context import CLOSE_CONNECTION
from broker.protocol import codec
from broker.protocol.apis import ApiKey
from broker.quotas.entity import (
    CONSUMER_BYTE_RATE,
    PRODUCER_BYTE_RATE,
    REQUEST_PERCENTAGE,
    user_of,
)
from broker.quotas.limits import Limits, Tags
from broker.quotas.rate import SampledRate
from broker.quotas.timing import timed

if TYPE_CHECKING:
    from broker.config import BrokerConfig
    from broker.handlers.context import RequestContext
    from broker.metadata.image import MetadataImage
    from broker.network.connection import Connection
    from broker.node import Broker

IDLE_RATE_EXPIRY_MS = 3_600_000  # Kafka drops a client's sensors after an hour unused
SWEEP_EVERY_MS = 60_000
# Not charged to request quotas (Kafka: SASL and cluster actions).
REQUEST_QUOTA_EXEMPT = frozenset(
    {ApiKey.SASL_HANDSHAKE, ApiKey.SASL_AUTHENTICATE, ApiKey.WRITE_TXN_MARKERS}
)


def now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class Window:
    samples: int  # quota.window.num
    size_ms: int  # quota.window.size.seconds

    @classmethod
    def of(cls, config: BrokerConfig) -> Window:
        return cls(
            int(config.get("quota.window.num")), int(config.get("quota.window.size.seconds")) * 1000
        )


@dataclass
class QuotaManager:
    """One quota key's limits and the rates measured against them (Kafka's ClientQuotaManager).

    ``max_throttle_ms`` bounds throttle times (request quotas: one window).
    """

    key: str
    window: Window
    max_throttle_ms: int | None = None
    limits: Limits = field(default_factory=lambda: Limits({}))
    _resolved: dict[tuple[str, str], tuple[Tags, float | None]] = field(default_factory=dict)
    _rates: dict[Tags, SampledRate] = field(default_factory=dict)
    _swept_ms: int = 0

    def update(self, quotas: dict[Any, dict[str, float]]) -> None:
        self.limits = Limits.of(quotas, self.key)
        self._resolved.clear()

    def resolve(self, user: str, client_id: str) -> tuple[Tags, float | None]:
        found = self._resolved.get((user, client_id))
        if found is None:
            found = self._resolved[(user, client_id)] = self.limits.resolve(user, client_id)
        return found

    def bound(self, user: str, client_id: str) -> float | None:
        return self.resolve(user, client_id)[1]

    def record(self, user: str, client_id: str, value: float, at_ms: int) -> int:
        """Add ``value`` to the client's rate; the throttle time in ms (0: within quota).

        Every client's usage is recorded while the key has a quota anywhere, as in Kafka, so
        a quota added later is measured against the recent past.
        """
        tags, bound = self.resolve(user, client_id)
        rate = self._rates.get(tags)
        if rate is None:
            rate = self._rates[tags] = SampledRate(self.window.samples, self.window.size_ms)
        rate.record(value, at_ms)
        if at_ms - self._swept_ms >= SWEEP_EVERY_MS:
            self._sweep(at_ms)
        if bound is None:
            return 0
        throttle = rate.throttle_ms(bound, at_ms)
        if self.max_throttle_ms is not None:
            throttle = min(throttle, self.max_throttle_ms)
        return throttle

    def unrecord(self, user: str, client_id: str, value: float, at_ms: int) -> None:
        self.record(user, client_id, -value, at_ms)

    def max_in_window(self, user: str, client_id: str) -> float | None:
        """The most that can be recorded at once without being throttled for certain."""
        bound = self.bound(user, client_id)
        if bound is None:
            return None
        return bound * (self.window.samples - 1) * self.window.size_ms / 1000

    def rate(self, user: str, client_id: str, at_ms: int) -> float:
        """The client's measured rate per second (0 if nothing was recorded)."""
        rate = self._rates.get(self.resolve(user, client_id)[0])
        return 0.0 if rate is None else rate.rate(at_ms)

    def _sweep(self, at_ms: int) -> None:
        self._swept_ms = at_ms
        self._resolved.clear()  # a cache: clients come and go, their client ids with them
        idle = [t for t, r in self._rates.items() if at_ms - r.idle_since() >= IDLE_RATE_EXPIRY_MS]
        for tags in idle:
            del self._rates[tags]


class ClientQuotas:
    """The produce, fetch and request quota managers, and the per-request hook."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.produce = QuotaManager(PRODUCER_BYTE_RATE, window)
        self.fetch = QuotaManager(CONSUMER_BYTE_RATE, window)
        self.request = QuotaManager(REQUEST_PERCENTAGE, window, max_throttle_ms=window.size_ms)

    def update(self, quotas: dict[Any, dict[str, float]]) -> None:
        for manager in (self.produce, self.fetch, self.request):
            manager.update(quotas)

    @property
    def active(self) -> bool:
        return bool(self.produce.limits or self.fetch.limits or self.request.limits)

    async def handle(
        self, conn: Connection, ctx: RequestContext, handler: Any, request: codec.Request
    ) -> Any:
        """Run ``handler`` for the request with quotas applied; the response to send."""
        api_key = ctx.header.api_key
        user, client_id = user_of(ctx.principal), ctx.header.client_id or ""
        body = request.body
        fetch = api_key == ApiKey.FETCH and _replica_id(body) < 0  # a consumer's, not a follower's
        metered_fetch = fetch and bool(self.fetch.limits)
        if metered_fetch:
            body = self._capped_fetch(body, user, client_id)
        charged = bool(self.request.limits) and api_key not in REQUEST_QUOTA_EXEMPT
        if api_key == ApiKey.PRODUCE and body.acks == 0:
            charged = False
        if charged:
            response, spent_s = await timed(handler(ctx, body))
        else:
            response, spent_s = await handler(ctx, body), 0.0
        at = now_ms()
        request_throttle = bandwidth_throttle = 0
        if charged:
            request_throttle = self.request.record(user, client_id, spent_s * 100, at)
        if api_key == ApiKey.PRODUCE and self.produce.limits:
            bandwidth_throttle = self.produce.record(user, client_id, request.size, at)
        size = 0
        if metered_fetch:
            size = _encoded_size(ctx, response)
            bandwidth_throttle = self.fetch.record(user, client_id, size, at)
        throttle = max(request_throttle, bandwidth_throttle)
        if throttle <= 0:
            return response
        if fetch:
            # A throttled Fetch returns no data, which is therefore not charged either: the
            # client fetches it again after the throttle time.
            if metered_fetch:
                self.fetch.unrecord(user, client_id, size, at)
            session = ctx.broker.fetch_sessions.get(getattr(response, "session_id", 0))
            if session is not None:
                session.forget_sent()  # what the handler noted as told was not
            response = dataclasses.replace(response, responses=())
        conn.throttle(throttle / 1000)
        return _with_throttle_time(response, throttle)

    def _capped_fetch(self, body: Any, user: str, client_id: str) -> Any:
        """Fetch no more than the quota allows in its window (a larger answer would be
        throttled for certain)."""
        most = self.fetch.max_in_window(user, client_id)
        if most is None or body.max_bytes <= most:
            return body
        max_bytes = max(int(most), 0)
        return dataclasses.replace(
            body, max_bytes=max_bytes, min_bytes=min(body.min_bytes, max_bytes)
        )


def attach(broker: Broker) -> ClientQuotas:
    """Enforce the metadata image's quotas on ``broker`` from now on (and after each change)."""
    quotas = ClientQuotas(Window.of(broker.config))

    def on_metadata(_records: list[Any], image: MetadataImage) -> None:
        quotas.update(image.client_quotas)
        broker.client_quotas = quotas if quotas.active else None

    on_metadata([], broker.metadata.image)
    broker.metadata.subscribe(on_metadata)
    return quotas


def _replica_id(fetch_request: Any) -> int:
    state = getattr(fetch_request, "replica_state", None)  # v15+
    return state.replica_id if state is not None else getattr(fetch_request, "replica_id", -1)


def _encoded_size(ctx: RequestContext, response: Any) -> int:
    """Bytes of the response after its size prefix (Kafka counts the header and body)."""
    return sum(len(b) for b in codec.response_buffers(ctx.header, response)) - 4


def _with_throttle_time(response: Any, throttle_ms: int) -> Any:
    if response is None or response is CLOSE_CONNECTION:
        return response  # acks=0: the mute alone throttles
    if not _has_throttle_time(type(response)):
        return response  # a version without it: the mute alone throttles
    return dataclasses.replace(response, throttle_time=timedelta(milliseconds=throttle_ms))


@cache
def _has_throttle_time(cls: type) -> bool:
    return any(f.name == "throttle_time" for f in dataclasses.fields(cls))
