"""`kctl demo`'s engine: starts a broker only when none answers, makes traffic, cleans up."""

from __future__ import annotations

import socket

from kctl.client import Cluster
from kctl.demo import TOPICS, Demo, EventFactory
from kctl.options import Settings
from tests.harness import free_port, wait_for
from tui.data.snapshot import fetch_snapshot


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def test_demo_starts_broker_traffic_and_stops_everything():
    port = free_port()
    settings = Settings(bootstrap=f"127.0.0.1:{port}", timeout=5)
    lines: list[str] = []
    demo = Demo(settings, status=lines.append, rate=50)
    with demo:
        assert demo.started_broker and _listening(port)
        data_dir = demo._temp_dir
        assert data_dir is not None and data_dir.exists()
        cluster = Cluster(settings)
        snap = fetch_snapshot(cluster)
        assert {t.name: len(t.partitions) for t in snap.topics if not t.internal} == TOPICS
        wait_for(lambda: fetch_snapshot(cluster).topic("orders").messages > 10, 20,
                 what="orders traffic")
        wait_for(lambda: fetch_snapshot(cluster).topic("user-signups").messages > 0, 20,
                 what="signup traffic")
        broker = demo.broker
    assert broker.poll() is not None, "the demo's broker is still running"
    assert not _listening(port)
    assert not data_dir.exists()
    assert any("Starting a local broker" in line for line in lines)


def test_demo_leaves_a_running_broker_alone(broker):
    settings = Settings(bootstrap=broker.bootstrap, timeout=5)
    with Demo(settings, status=lambda _: None) as demo:
        assert not demo.started_broker
        wait_for(lambda: demo.produced > 0, 20, what="produced events")
    assert broker.proc.poll() is None and _listening(broker.port)


def test_signup_events_have_the_seed_fields():
    topic, key, value = EventFactory().signup()
    assert topic == "user-signups" and key == value["user_id"]
    assert set(value) == {"user_id", "user_name", "user_address", "platform", "signup_at"}
