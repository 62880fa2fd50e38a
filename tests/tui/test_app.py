"""Pilot tests of the dashboard against a real broker with known data, at fixed sizes."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable

import pytest
from confluent_kafka import KafkaException
from textual.widgets import DataTable, Static

from kctl import group_admin as ga
from kctl.client import Cluster
from kctl.options import Settings
from tui.app import DashboardApp
from tui.data.actions import create_topic, produce_record
from tui.screens.dialogs import ConfirmScreen, ResetScreen
from tui.screens.help import HelpScreen
from tui.screens.tail import TailScreen
from tui.screens.topic import TopicScreen
from tui.widgets.banner import DisconnectBanner

SMALL, LARGE = (80, 24), (120, 40)


def sync(test):
    """Run an async test body on a fresh event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot, predicate: Callable[[], object], timeout: float = 15.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # widgets may not be mounted yet
            pass
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def cluster_for(bootstrap: str) -> Cluster:
    return Cluster(Settings(bootstrap=bootstrap, timeout=3))


@pytest.fixture(scope="module")
def data(shared_broker) -> str:
    """pilot-orders: 3 partitions holding 4, 2 and 0 records (keys k0.., values order-N)."""
    c = cluster_for(shared_broker.bootstrap)
    create_topic(c, "pilot-orders", 3)
    for i, part in enumerate([0, 0, 1, 0, 1, 0]):
        produce_record(c, "pilot-orders", f"k{i}", f"order-{i}", partition=part)
    return shared_broker.bootstrap


def app_for(bootstrap: str, interval: float = 0.5) -> DashboardApp:
    return DashboardApp(cluster_for(bootstrap), interval=interval)


async def widget(pilot, app: DashboardApp, selector: str, kind: type = DataTable):
    """The widget on the current screen, once that screen has composed it."""
    found: list = []
    await until(pilot, lambda: found.append(app.screen.query_one(selector, kind)) or found,
                what=selector)
    return found[0]


async def open_topic(pilot, app: DashboardApp, name: str) -> None:
    await pilot.press("2", "slash", *name, "enter")
    table = app.screen.query_one("#topic-table", DataTable)
    await until(pilot, lambda: [r[0] for r in rows(table)] == [name], what="filtered topic")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TopicScreen), what="topic screen")


async def open_tail(pilot, app: DashboardApp, topic: str) -> DataTable:
    """From the start: the topic's tail screen, and its records table."""
    await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
    await open_topic(pilot, app, topic)
    await pilot.press("t")
    await until(pilot, lambda: isinstance(app.screen, TailScreen), what="tail screen")
    return await widget(pilot, app, "#records")


@pytest.mark.parametrize("size", [SMALL, LARGE])
@sync
async def test_overview_shows_cluster_counts(data, size):
    app = app_for(data)
    async with app.run_test(size=size) as pilot:
        summary = await widget(pilot, app, "#summary", Static)
        await until(pilot, lambda: "partitions" in str(summary.render()), what="summary")
        text = str(summary.render())
        assert "Under-replicated 0" in text and "offline 0" in text
        user = sum(len(t.partitions) for t in app.snapshot.topics if not t.internal)
        assert f"partitions {user} (+" in text
        brokers = rows(app.screen.query_one("#brokers", DataTable))
        port = data.rsplit(":", 1)[1]
        assert brokers[0][2] == port and brokers[0][3] == "controller"


@pytest.mark.parametrize("size", [SMALL, LARGE])
@sync
async def test_topics_list_filter_and_detail(data, size):
    app = app_for(data)
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        await open_topic(pilot, app, "pilot-orders")
        parts = await widget(pilot, app, "#partitions")
        await until(pilot, lambda: parts.row_count == 3, what="partition rows")
        got = [(r[0], r[1], r[4], r[5], r[6]) for r in rows(parts)]
        assert got == [("0", "1", "0", "4", "4"), ("1", "1", "0", "2", "2"),
                       ("2", "1", "0", "0", "0")]
        segments = await widget(pilot, app, "#segments", Static)
        await until(pilot, lambda: "Segments" in str(segments.render()), what="segments panel")
        assert "admin" in str(segments.render())  # no admin URL given: the panel says so
        await pilot.press("escape")
        assert not isinstance(app.screen, TopicScreen)


@sync
async def test_tail_filter_and_jump(data):
    app = app_for(data)
    async with app.run_test(size=LARGE) as pilot:
        table = await open_tail(pilot, app, "pilot-orders")
        await until(pilot, lambda: table.row_count == 6, what="six records")
        assert sorted(r[4] for r in rows(table)) == [f"order-{i}" for i in range(6)]
        await pilot.press("slash", *"order-3")
        await until(pilot, lambda: table.row_count == 1, what="filtered rows")
        assert rows(table)[0][3:] == ["k3", "order-3"]
        await pilot.press("escape")  # clears the filter first
        await until(pilot, lambda: table.row_count == 6, what="unfiltered rows")
        await pilot.press("g", *"0:2", "enter")
        await until(pilot, lambda: [r[1] for r in rows(table)] == ["2", "3"],
                    what="records from 0:2")
        assert [r[0] for r in rows(table)] == ["0", "0"]
        # Leaving while a read is in flight: its late answer is dropped, the app carries on.
        await pilot.press("l", "escape")
        assert isinstance(app.screen, TopicScreen)
        await until(pilot, lambda: not any(w.group == "tail" and w.is_running
                                           for w in app.workers), what="the tail read")
        assert app.is_running and isinstance(app.screen, TopicScreen)


@sync
async def test_help_pause_and_theme(data):
    app = app_for(data)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        dark = app.theme
        await pilot.press("d")
        assert app.theme != dark
        await pilot.press("p")
        assert app.paused
        await pilot.press("p")
        assert not app.paused


@sync
async def test_create_and_delete_topic_with_confirmation(data):
    app = app_for(data)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        await pilot.press("c", *"pilot-made", "tab")
        await pilot.press("backspace", "2", "enter")
        await until(pilot, lambda: app.snapshot.topic("pilot-made") is not None,
                    what="created topic")
        assert len(app.snapshot.topic("pilot-made").partitions) == 2
        await pilot.press("2", "slash", *"pilot-made", "enter", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing happens
        await pilot.press("x")
        await pilot.press("y")
        await until(pilot, lambda: app.snapshot.topic("pilot-made") is None,
                    what="deleted topic")


@sync
async def test_disconnect_banner_appears_and_clears(broker):
    create_topic(cluster_for(broker.bootstrap), "pilot-banner", 1)
    app = app_for(broker.bootstrap, interval=0.3)
    async with app.run_test(size=SMALL) as pilot:
        banner = await widget(pilot, app, "#banner", DisconnectBanner)
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        assert not banner.down
        await asyncio.to_thread(broker.stop)
        await until(pilot, lambda: banner.down, what="banner")
        assert "Disconnected" in str(banner.render())
        await asyncio.to_thread(broker.start)
        await until(pilot, lambda: not banner.down, timeout=30, what="banner to clear")
        assert app.snapshot.topic("pilot-banner") is not None


def _groups_supported(c: Cluster) -> bool:
    try:
        ga.commit_offsets(c.admin(), "pilot-probe", {("pilot-orders", 0): 0}, 3)
        return True
    except (KafkaException, TimeoutError):
        return False


@sync
async def test_reset_group_offsets_plan_then_apply(data):
    c = cluster_for(data)
    if not _groups_supported(c):
        pytest.skip("the broker does not serve the consumer-group APIs yet "
                    "(OffsetCommit/ListGroups), so there is no group to reset")
    ga.commit_offsets(c.admin(), "pilot-group", {("pilot-orders", 0): 4,
                                                 ("pilot-orders", 1): 2}, 5)
    app = app_for(data)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: app.snapshot and app.snapshot.group("pilot-group"),
                    what="the group in a snapshot")
        await pilot.press("3")
        table = app.screen.query_one("#group-table", DataTable)
        keys = [r[0] for r in rows(table)]
        table.move_cursor(row=keys.index("pilot-group"))
        await pilot.press("R")
        assert isinstance(app.screen, ResetScreen)
        await pilot.press("enter")  # plans "earliest" for every committed partition
        plan = await widget(pilot, app, "#plan")
        await until(pilot, lambda: plan.row_count == 2, what="the plan")
        assert [(r[1], r[2], r[3]) for r in rows(plan)] == [("0", "4", "0"), ("1", "2", "0")]
        assert ga.committed_offsets(c.admin(), "pilot-group", 5)[("pilot-orders", 0)] == 4
        await pilot.click("#apply")
        await until(pilot, lambda: not isinstance(app.screen, ResetScreen), what="applied")
        committed = ga.committed_offsets(c.admin(), "pilot-group", 5)
        assert committed == {("pilot-orders", 0): 0, ("pilot-orders", 1): 0}


@sync
async def test_groups_tab_shows_lag_or_why_there_are_none(data):
    c = cluster_for(data)
    supported = _groups_supported(c)
    if supported:
        ga.commit_offsets(c.admin(), "pilot-lagging", {("pilot-orders", 0): 1}, 5)
    app = app_for(data)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        await pilot.press("3")
        note = app.screen.query_one("#groups-note", Static)
        table = app.screen.query_one("#group-table", DataTable)
        if not supported:
            await until(pilot, lambda: "No groups" in str(note.render()), what="groups note")
            assert table.row_count == 0
            assert not app.screen.query_one("#group-detail").display
            return
        await until(pilot, lambda: "pilot-lagging" in [r[0] for r in rows(table)],
                    what="group row")
        row = next(r for r in rows(table) if r[0] == "pilot-lagging")
        assert row[3] == "3"  # partition 0 ends at 4, committed 1


@sync
async def test_produce_from_topic_screen(data):
    app = app_for(data)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        before = app.snapshot.topic("pilot-orders").messages
        await open_topic(pilot, app, "pilot-orders")
        await pilot.press("P", *"kx", "tab", *"hello", "enter")
        await until(pilot, lambda: app.snapshot.topic("pilot-orders").messages == before + 1,
                    what="the produced record")
        assert isinstance(app.screen, TopicScreen)


@sync
async def test_internal_topics_hidden_until_toggled(data):
    c = cluster_for(data)
    if not _groups_supported(c):
        pytest.skip("no internal topic without the group APIs (__consumer_offsets)")
    app = app_for(data)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: app.snapshot is not None
                    and app.snapshot.topic("__consumer_offsets"), what="offsets topic")
        await pilot.press("2")
        table = app.screen.query_one("#topic-table", DataTable)
        await until(pilot, lambda: "pilot-orders" in [r[0] for r in rows(table)], what="rows")
        assert "__consumer_offsets" not in [r[0] for r in rows(table)]
        await pilot.press("i")
        assert "__consumer_offsets" in [r[0] for r in rows(table)]


@sync
async def test_topic_screen_shows_live_segments(broker_factory):
    from tests.harness import free_port

    admin = f"127.0.0.1:{free_port()}"
    b = broker_factory("--set", f"admin.listen={admin}", "--set", "log.segment.bytes=1024")
    c = cluster_for(b.bootstrap)
    create_topic(c, "pilot-segs", 1)
    for i in range(20):
        produce_record(c, "pilot-segs", f"k{i}", "x" * 100)
    app = DashboardApp(c, interval=0.5, admin_url=f"http://{admin}")
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, lambda: app.snapshot is not None, what="first snapshot")
        await open_topic(pilot, app, "pilot-segs")
        panel = await widget(pilot, app, "#segments", Static)
        await until(pilot, lambda: "Segments of partition 0" in str(panel.render()),
                    what="segments")
        text = str(panel.render())
        # 20 records of ~170 bytes in 1 KiB segments: several rolled, one active.
        assert text.count("offsets ") >= 3 and text.count("active") == 1
        assert "offsets 0-" in text
