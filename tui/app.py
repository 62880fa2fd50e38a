"""The kctl dashboard app: owns the cluster connection, the refresh loop and the actions.

A timer asks for a snapshot every ``interval`` seconds; a daemon thread fetches it (never the
UI thread) and posts ``SnapshotReady``/``SnapshotFailed``. The app keeps the latest snapshot
and a short lag history per group, hands snapshots to every screen on the stack, and shows the
disconnect banner until the cluster answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections import deque
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding

from kctl.client import Cluster
from kctl.console import KctlError
from tui.data import actions
from tui.data.snapshot import ClusterSnapshot, fetch_snapshot
from tui.messages import SnapshotFailed, SnapshotReady
from tui.screens.base import DashboardScreen
from tui.screens.dialogs import ConfirmScreen, CreateTopicScreen, ProduceScreen, ResetScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.tail import TailScreen
from tui.screens.topic import TopicScreen
from tui.widgets.literal import markup, visible

LAG_HISTORY = 60  # refreshes of total lag kept per group for the sparkline
DARK, LIGHT = "textual-dark", "textual-light"


class DashboardApp(App):
    TITLE = "kctl dashboard"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("p", "pause", "Pause"),
        Binding("r", "refresh_now", "Refresh", show=False),
        Binding("d", "toggle_theme", "Dark/light"),
    ]

    def __init__(
        self,
        cluster: Cluster,
        *,
        interval: float = 2.0,
        admin_url: str | None = None,
        subtitle: str | None = None,
    ) -> None:
        super().__init__()
        self.cluster = cluster
        self.interval = interval
        self.admin_url = admin_url
        self.snapshot: ClusterSnapshot | None = None
        self.error: str | None = None
        self.paused = False
        self.fetching = False
        self.lag_history: dict[str, deque[int]] = {}
        self.sub_title = subtitle or cluster.bootstrap

    def on_mount(self) -> None:
        # A closed terminal (SIGHUP) or `kill` (SIGTERM) quits like q: the terminal is restored
        # and whoever started the app (e.g. `kctl demo`) gets to clean up after it.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.exit)
        self.theme = DARK
        self.push_screen(MainScreen())
        self.refresh_data()
        self.set_interval(self.interval, self.refresh_data)

    # --- refresh -----------------------------------------------------------------------

    def refresh_data(self) -> None:
        if not self.paused:
            self.action_refresh_now()

    def action_refresh_now(self) -> None:
        # One fetch at a time: a slow cluster skips ticks instead of piling up requests
        # (and a late answer can never overwrite a newer one).
        if not self.fetching:
            self.fetching = True
            # A daemon thread rather than a thread worker: quitting must not wait for a
            # cluster that takes the whole timeout to (not) answer (asyncio.run joins the
            # executor that thread workers run in).
            threading.Thread(target=self._fetch, args=(self.snapshot,),
                             name="kctl-dashboard-refresh", daemon=True).start()

    def _fetch(self, previous: ClusterSnapshot | None) -> None:
        try:
            snap = fetch_snapshot(self.cluster, previous)
            message: SnapshotReady | SnapshotFailed = SnapshotReady(snap)
            stuck = snap.timed_out
        except KctlError as e:
            message, stuck = SnapshotFailed(e.message), True
        except Exception as e:  # the loop must survive a surprise; say what it was
            message, stuck = SnapshotFailed(f"{type(e).__name__}: {e}"), True
        if stuck:
            # librdkafka re-bootstraps once every broker was down, and a client that did so
            # may never reach a group coordinator again: start the next refresh afresh.
            self.cluster.reset_admin()
        with contextlib.suppress(RuntimeError):  # the app (and its loop) closed meanwhile
            self.post_message(message)

    @on(SnapshotReady)
    def _snapshot_ready(self, message: SnapshotReady) -> None:
        snap = message.snapshot
        self.fetching = False
        self.snapshot = snap
        for g in snap.groups:
            self.lag_history.setdefault(g.group, deque(maxlen=LAG_HISTORY)).append(g.total_lag)
        self._set_error(None)
        for screen in self._dashboard_screens():
            screen.show_snapshot(snap)

    @on(SnapshotFailed)
    def _snapshot_failed(self, message: SnapshotFailed) -> None:
        self.fetching = False
        self._set_error(message.reason)

    def _set_error(self, reason: str | None) -> None:
        self.error = reason
        for screen in self._dashboard_screens():
            screen.show_error(reason)

    def _dashboard_screens(self) -> list[DashboardScreen]:
        return [s for s in self.screen_stack if isinstance(s, DashboardScreen)]

    # --- global actions ------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.sub_title = f"{self.cluster.bootstrap}" + ("  [PAUSED]" if self.paused else "")
        self.notify("Refresh paused (p resumes)" if self.paused else "Refresh resumed")
        if not self.paused:
            self.refresh_data()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    # --- navigation and cluster actions (called by screens) -------------------------------

    def open_topic(self, topic: str) -> None:
        self.push_screen(TopicScreen(topic))

    def open_tail(self, topic: str) -> None:
        self.push_screen(TailScreen(topic))

    def create_topic(self) -> None:
        def done(answer: tuple[str, int] | None) -> None:
            if answer:
                self._run_action(f"Created topic {answer[0]}", actions.create_topic,
                                 self.cluster, *answer)

        self.push_screen(CreateTopicScreen(), done)

    def delete_topic(self, topic: str) -> None:
        def done(yes: bool | None) -> None:
            if yes:
                if isinstance(self.screen, TopicScreen | TailScreen):
                    self.pop_screen()
                self._run_action(f"Deleted topic {topic}", actions.delete_topic,
                                 self.cluster, topic)

        question = markup("Delete topic [b]$topic[/] and all its records?", topic=topic)
        self.push_screen(ConfirmScreen(question), done)

    def produce(self, topic: str) -> None:
        def done(answer: tuple[str | None, str] | None) -> None:
            if answer is not None:
                self._run_action(f"Produced to {topic}", actions.produce_record,
                                 self.cluster, topic, *answer)

        self.push_screen(ProduceScreen(topic), done)

    def reset_group(self, group: str) -> None:
        def done(applied: bool | None) -> None:
            if applied:
                self.notify(visible(f"Reset offsets of group {group}"), markup=False)
                self.action_refresh_now()

        self.push_screen(ResetScreen(group), done)

    @work(thread=True, group="actions")
    def _run_action(self, success: str, fn, *args) -> None:
        try:
            result = fn(*args)
        except KctlError as e:
            self.call_from_thread(self.notify, visible(e.message), severity="error", timeout=8,
                                  markup=False)
            return
        detail = f" (partition {result[0]}, offset {result[1]})" if result else ""
        self.call_from_thread(self.notify, visible(success + detail), markup=False)
        self.call_from_thread(self.action_refresh_now)
