"""The message tail of one topic: the newest records (live), or records from an offset."""

from __future__ import annotations

import datetime as dt

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from kctl.console import KctlError
from tui.data.snapshot import ClusterSnapshot
from tui.data.tail import TailRecord, read_tail
from tui.screens.base import DashboardScreen
from tui.screens.dialogs import JumpScreen, JumpTarget
from tui.widgets.literal import markup, plain
from tui.widgets.tables import refill

LIMIT = 50
VALUE_CHARS = 200  # of a value, before control characters are escaped


def _time(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000).strftime("%H:%M:%S.%f")[:-3]


class TailScreen(DashboardScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "filter", "Filter"),
        Binding("g", "jump", "Jump"),
        Binding("l", "live", "Live"),
        Binding("P", "produce", "Produce"),
    ]

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic
        self.records: list[TailRecord] = []
        self.jump: JumpTarget | None = None  # None: live tail of the newest records
        self._ends: tuple | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(markup("Tail of [b]$topic[/]", topic=self.topic), id="tail-title")
        yield Input(placeholder="/ filter key or value", id="tail-filter")
        yield DataTable(id="records", cursor_type="row")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.query_one("#records", DataTable).add_columns(
            "part", "offset", "time", "key", "value")
        super().on_mount()
        self.query_one("#records").focus()
        self.reload()

    def show_snapshot(self, snap: ClusterSnapshot) -> None:
        topic = snap.topic(self.topic)
        ends = tuple(p.log_end for p in topic.partitions) if topic else None
        # Re-read only when the live tail has something new.
        if self.jump is None and ends != self._ends:
            self._ends = ends
            self.reload()

    def reload(self) -> None:
        self._read(self.jump)

    @work(thread=True, exclusive=True, group="tail")
    def _read(self, jump: JumpTarget | None) -> None:
        try:
            if jump is None:
                records = read_tail(self.app.cluster, self.topic, LIMIT)
            else:
                records = read_tail(self.app.cluster, self.topic, LIMIT,
                                    partition=jump.partition, offset=jump.offset,
                                    since_ms=jump.since_ms)
        except (KctlError, RuntimeError) as e:
            self.app.call_from_thread(
                self._title, markup("[b red]$error[/]", error=getattr(e, "message", e)))
            return
        self.app.call_from_thread(self._show, records)

    def _title(self, extra: Content) -> None:
        if not self.showing:
            return
        mode = "live, newest" if self.jump is None else self.jump.describe()
        self.query_one("#tail-title", Static).update(
            markup("Tail of [b]$topic[/] ($mode $limit)  ", topic=self.topic, mode=mode,
                   limit=LIMIT) + extra)

    def _show(self, records: list[TailRecord]) -> None:
        if not self.showing:
            return
        self.records = records
        self._redraw()

    def _redraw(self) -> None:
        needle = self.query_one("#tail-filter", Input).value.strip()
        shown = [r for r in self.records if not needle or r.matches(needle)]
        self._title(plain(f"{len(shown)} shown" + (f" matching {needle!r}" if needle else "")))
        refill(self.query_one("#records", DataTable), (
            (f"{r.partition}:{r.offset}", (str(r.partition), str(r.offset),
                                            _time(r.timestamp_ms), r.key or "",
                                            (r.value or "")[:VALUE_CHARS]))
            # Live: newest first, visible without scrolling; a jump reads forward.
            for r in (reversed(shown) if self.jump is None else shown)
        ))

    def on_input_changed(self) -> None:
        self._redraw()

    def on_input_submitted(self) -> None:
        self.query_one("#records").focus()

    def action_back(self) -> None:
        box = self.query_one("#tail-filter", Input)
        if box.has_focus:
            box.value = ""
            self.query_one("#records").focus()
            return
        self.app.pop_screen()

    def action_filter(self) -> None:
        self.query_one("#tail-filter", Input).focus()

    def action_jump(self) -> None:
        def done(target: JumpTarget | None) -> None:
            if target is not None:
                self.jump = target
                self.reload()

        self.app.push_screen(JumpScreen(), done)

    def action_live(self) -> None:
        self.jump = None
        self.reload()

    def action_produce(self) -> None:
        self.app.produce(self.topic)
