"""`kctl demo`'s engine: starts a broker only when none answers, makes traffic, cleans up."""

from __future__ import annotations

import contextlib
import socket

from kctl.client import Cluster
from kctl.demo import LAGGING_GROUP, TOPICS, Demo, EventFactory
from kctl.options import Settings
from tests.harness import free_port, wait_for
from tui.data.segments import fetch_partition_segments
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
        segs = fetch_partition_segments(demo.admin_url, "orders", 0)
        assert segs.unavailable is None and segs.rows[-1]["active"]
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


def test_killed_demo_takes_its_broker_along(tmp_path):
    """Even SIGKILL (no cleanup code runs) leaves no broker behind: parent-death signal."""
    import os
    import signal
    import subprocess
    import sys

    if sys.platform != "linux":
        import pytest

        pytest.skip("the parent-death signal is Linux-only")
    port = free_port()
    script = (
        "import sys, time\n"
        "from kctl.demo import Demo\n"
        "from kctl.options import Settings\n"
        f"d = Demo(Settings(bootstrap='127.0.0.1:{port}'), data_dir=__import__('pathlib')"
        f".Path({str(tmp_path / 'data')!r}), status=lambda _: None)\n"
        "d.start()\n"
        "print(d.broker.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    broker_pid = None
    try:
        broker_pid = int(proc.stdout.readline())
        assert _listening(port)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: not _listening(port), 20, what="the orphaned broker to stop")

        def gone() -> bool:
            try:
                os.kill(broker_pid, 0)
            except ProcessLookupError:
                return True
            # A zombie until init reaps it counts as gone.
            with open(f"/proc/{broker_pid}/stat") as f:
                return f.read().split()[2] == "Z"

        wait_for(gone, 20, what="the broker process to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
        if broker_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(broker_pid, signal.SIGKILL)


def test_lagging_group_falls_behind_then_catches_up(broker):
    cluster = Cluster(Settings(bootstrap=broker.bootstrap, timeout=5))
    lags: list[int] = []

    def lag() -> int | None:
        snap = fetch_snapshot(cluster)
        if snap.groups_error:
            raise AssertionError(snap.groups_error)
        group = snap.group(LAGGING_GROUP)
        if group is None or not group.partitions:
            return None
        lags.append(group.total_lag)
        return group.total_lag

    with Demo(cluster.settings, status=lambda _: None, rate=60, phase_s=3):
        wait_for(lambda: (lag() or 0) >= 20, 30, what="the lagging group to fall behind")
        peak = max(lags)

        def caught_up() -> bool:
            current = lag()
            return current is not None and current < peak // 2

        wait_for(caught_up, 30, what="the lagging group to catch up")
