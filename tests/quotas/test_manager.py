"""QuotaManager: usage recorded per sharing group, throttle times against the resolved bound,
request quotas' cap, the Fetch window limit, and idle rates dropped."""

from __future__ import annotations

import pytest

from broker.quotas.enforcer import IDLE_RATE_EXPIRY_MS, ClientQuotas, QuotaManager, Window
from broker.quotas.entity import entity_of

WINDOW = Window(samples=11, size_ms=1000)
USER_ALICE = entity_of([("user", "alice")])
CLIENT_DEFAULT = entity_of([("client-id", None)])


def manager(key="producer_byte_rate", **kw) -> QuotaManager:
    m = QuotaManager(key, WINDOW, **kw)
    m.update({USER_ALICE: {key: 1000.0}, CLIENT_DEFAULT: {key: 500.0, "other": 1.0}})
    return m


def test_clients_of_one_user_share_its_rate():
    m = manager()
    assert m.record("alice", "a", 10_000, 0) == 0  # 1000 B/s over the 10 s minimum
    # the same user from another client id: 11000 over 10 s against 1000: (1100-1000)/1000*10s
    assert m.record("alice", "b", 1_000, 0) == 1000
    assert m.rate("alice", "zzz", 0) == pytest.approx(1100)


def test_others_get_their_client_ids_default_each():
    m = manager()
    assert m.record("bob", "x", 5_000, 0) == 0
    assert m.record("carol", "y", 5_000, 0) == 0  # its own rate
    assert m.record("dave", "x", 5_000, 0) == 10_000  # shares client id x with bob


def test_request_quotas_cap_the_throttle_time_at_a_window():
    m = manager("request_percentage", max_throttle_ms=1000)
    assert m.record("alice", "a", 1e9, 0) == 1000


def test_fetch_window_limit_and_unlimited_clients():
    m = manager("consumer_byte_rate")
    assert m.max_in_window("alice", "a") == 1000 * 10 * 1
    m.update({USER_ALICE: {"consumer_byte_rate": 1000.0}})
    assert m.max_in_window("bob", "b") is None
    assert m.record("bob", "b", 10**9, 0) == 0  # recorded, never throttled


def test_idle_rates_are_dropped():
    m = manager()
    m.record("bob", "x", 100, 0)
    m.record("alice", "a", 100, IDLE_RATE_EXPIRY_MS - 10)
    m.record("alice", "a", 100, IDLE_RATE_EXPIRY_MS + 1)  # a sweep: bob's rate is an hour old
    assert m.rate("bob", "x", IDLE_RATE_EXPIRY_MS + 1) == 0.0
    assert m.rate("alice", "a", IDLE_RATE_EXPIRY_MS + 1) > 0


def test_client_quotas_are_active_only_with_an_enforced_key():
    q = ClientQuotas(WINDOW)
    q.update({entity_of([("user", "u")]): {"controller_mutation_rate": 5.0},
              entity_of([("ip", None)]): {"connection_creation_rate": 5.0}})
    assert not q.active
    q.update({entity_of([("user", "u")]): {"request_percentage": 5.0}})
    assert q.active and q.request.limits and not q.produce.limits
