from __future__ import annotations

import pytest

from tests.harness import BrokerProcess


@pytest.fixture
def broker_factory(tmp_path):
    """Start brokers with extra args (e.g. ["--set", "num.partitions=3"]); all stopped after."""
    started: list[BrokerProcess] = []

    def start(*extra_args: str, name: str = "broker") -> BrokerProcess:
        b = BrokerProcess(tmp_path / name, extra_args=list(extra_args))
        started.append(b)
        return b.start()

    yield start
    for b in started:
        b.kill()


@pytest.fixture
def broker(broker_factory) -> BrokerProcess:
    """A fresh broker on a free port with its own data directory."""
    return broker_factory()


@pytest.fixture(scope="module")
def shared_broker(tmp_path_factory):
    """One broker for a whole test module (tests must use unique topic names)."""
    b = BrokerProcess(tmp_path_factory.mktemp("shared") / "broker").start()
    yield b
    b.kill()
