"""Version choice per broker (kctl.broker_sessions): the highest both sides speak, or an
Unsupported error that names the API, the versions and the broker."""

from __future__ import annotations

import pytest

from kctl.broker_sessions import BrokerSession, Unsupported


def session(versions: dict[int, tuple[int, int]]) -> BrokerSession:
    # version() never touches the connection
    return BrokerSession(conn=None, label="broker 2 at h:9092", versions=versions)  # type: ignore


def test_highest_common_version():
    s = session({66: (0, 2), 10: (1, 6)})
    assert s.version(66, "ListTransactions", 0, 1) == 1
    assert s.version(10, "FindCoordinator", 1, 4) == 4
    assert session({66: (0, 0)}).version(66, "ListTransactions", 0, 1) == 0


def test_missing_api_or_version_is_unsupported():
    with pytest.raises(Unsupported, match=r"^DescribeProducers v0 is not supported by broker 2"):
        session({}).version(61, "DescribeProducers", 0, 0)
    # --duration-ms needs ListTransactions v1; a v0-only broker cannot filter by it
    with pytest.raises(Unsupported, match="ListTransactions v1 is not supported"):
        session({66: (0, 0)}).version(66, "ListTransactions", 1, 1)
    with pytest.raises(Unsupported, match="FindCoordinator v1-4"):
        session({10: (5, 6)}).version(10, "FindCoordinator", 1, 4)
