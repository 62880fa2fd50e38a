"""The dashboard after the cluster went away and came back, and quitting while it is slow."""

from __future__ import annotations

import asyncio
import threading
import time

from kctl import group_admin as ga
from tests.tui.test_app import SMALL, app_for, cluster_for, sync, until, widget
from tui.app import DashboardApp
from tui.data.actions import create_topic, produce_record
from tui.widgets.banner import DisconnectBanner


@sync
async def test_group_lag_comes_back_after_the_broker_restarts(broker):
    # librdkafka (2.10+) re-bootstraps when every broker is down; a client made before that
    # never reaches a group coordinator again (its requests time out for ever), so the
    # dashboard must not keep using it.
    c = cluster_for(broker.bootstrap)
    create_topic(c, "back-orders", 1)
    for i in range(5):
        produce_record(c, "back-orders", f"k{i}", f"v{i}", partition=0)
    ga.commit_offsets(c.admin(), "back-group", {("back-orders", 0): 2}, 5)
    app = app_for(broker.bootstrap, interval=0.3)

    def lag() -> int | None:
        g = app.snapshot.group("back-group") if app.snapshot else None
        return None if g is None or g.error else g.total_lag

    async with app.run_test(size=SMALL) as pilot:
        banner = await widget(pilot, app, "#banner", DisconnectBanner)
        await until(pilot, lambda: lag() == 3, what="the group's lag")
        await asyncio.to_thread(broker.stop)
        await until(pilot, lambda: banner.down, what="banner")
        await asyncio.to_thread(broker.start)
        await until(pilot, lambda: not banner.down, timeout=30, what="banner to clear")
        produce_record(c, "back-orders", "k5", "v5", partition=0)
        await until(pilot, lambda: lag() == 4, timeout=20, what="the group's lag again")


class _StuckCluster:
    """A cluster whose metadata call blocks until released, like one that stopped answering."""

    bootstrap = "stuck:9092"
    timeout = 30.0

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def cluster_view(self):
        self.entered.set()
        self.release.wait(25)
        raise TimeoutError("released")

    def reset_admin(self) -> None:
        pass


def test_quitting_does_not_wait_for_a_refresh_in_flight():
    cluster = _StuckCluster()

    async def run() -> None:
        app = DashboardApp(cluster, interval=0.5)  # type: ignore[arg-type]
        async with app.run_test(size=SMALL) as pilot:
            await until(pilot, cluster.entered.is_set, what="a refresh in flight")
            await pilot.press("q")

    started = time.monotonic()
    try:
        asyncio.run(run())
        took = time.monotonic() - started
    finally:
        cluster.release.set()
    assert took < 10, f"quitting took {took:.1f}s: it waited for the stuck refresh"
