"""Topic detail: per partition leader, replicas, ISR, offsets, rate; segments where served."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Static

from tui.data.segments import Segments, fetch_partition_segments
from tui.data.snapshot import ClusterSnapshot
from tui.screens.base import DashboardScreen
from tui.widgets.literal import markup, plain
from tui.widgets.tables import num, rate, refill, selected_key, size

SEGMENT_LINES = 6  # fits under the partitions table in 80x24


def segment_line(seg: dict) -> str:
    """One segment as ``offsets 0-119  4.0 KiB  active cleaned`` (fields the broker sent)."""
    parts = []
    base, nxt = seg.get("base_offset"), seg.get("next_offset", seg.get("end_offset"))
    if base is not None:
        parts.append(f"offsets {base}-{nxt - 1}" if isinstance(nxt, int) and nxt > base
                     else f"offsets {base}- (empty)")
    if isinstance(seg.get("size_bytes"), int):
        parts.append(size(seg["size_bytes"]))
    parts += [flag for flag in ("active", "cleaned") if seg.get(flag)]
    return "  ".join(parts) or str(seg)


def _ids(ids: tuple[int, ...]) -> str:
    return ",".join(map(str, ids)) or "-"


class TopicScreen(DashboardScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("t", "tail", "Tail"),
        Binding("P", "produce", "Produce"),
        Binding("x", "delete", "Delete"),
    ]

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(markup("Topic [b]$topic[/]", topic=self.topic), id="topic-title")
        yield DataTable(id="partitions", cursor_type="row")
        yield Static("", id="segments")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.query_one("#partitions", DataTable).add_columns(
            "part", "leader", "replicas", "isr", "start", "end", "messages", "size", "msgs/s")
        super().on_mount()

    def show_snapshot(self, snap: ClusterSnapshot) -> None:
        topic = snap.topic(self.topic)
        title = self.query_one("#topic-title", Static)
        if topic is None:
            title.update(markup("Topic [b]$topic[/]: [b red]no longer exists[/]",
                                topic=self.topic))
            self.query_one("#partitions", DataTable).clear()
            return
        title.update(markup(f"Topic [b]$topic[/]  partitions {len(topic.partitions)}  "
                            f"rf {topic.replication_factor}  messages {topic.messages:,}  "
                            f"size {size(topic.size_bytes)}  "
                            f"in {rate(topic.msgs_per_s)} msgs/s", topic=self.topic))
        refill(self.query_one("#partitions", DataTable), (
            (str(p.partition), (str(p.partition), str(p.leader) if p.leader >= 0 else "none",
                                _ids(p.replicas), _ids(p.isr), num(p.log_start),
                                num(p.log_end), num(p.messages), size(p.size_bytes),
                                rate(p.msgs_per_s)))
            for p in topic.partitions
        ))
        self.load_segments()

    def on_data_table_row_highlighted(self) -> None:
        self.load_segments()

    def partition(self) -> int | None:
        key = selected_key(self.query_one("#partitions", DataTable))
        return None if key is None else int(key)

    def load_segments(self) -> None:
        p = self.partition()
        if p is not None:
            self._fetch_segments(p)

    @work(thread=True, exclusive=True, group="segments")
    def _fetch_segments(self, partition: int) -> None:
        segs = fetch_partition_segments(self.app.admin_url, self.topic, partition)
        self.app.call_from_thread(self._show_segments, partition, segs)

    def _show_segments(self, partition: int, segs: Segments) -> None:
        if not self.showing:
            return
        panel = self.query_one("#segments", Static)
        if segs.unavailable:
            panel.update(plain(segs.unavailable))
            return
        head = markup(f"[b]Segments of partition {partition}[/] ({len(segs.rows)}, oldest first)")
        shown = segs.rows[-SEGMENT_LINES:]  # the newest: where rolls happen
        older = len(segs.rows) - len(shown)
        lines = [f"  … {older} older"] if older else []
        lines += [f"  {segment_line(seg)}" for seg in shown]  # the broker's JSON: literal text
        panel.update(Content("\n").join([head, *map(plain, lines)]))

    def action_tail(self) -> None:
        self.app.open_tail(self.topic)

    def action_produce(self) -> None:
        self.app.produce(self.topic)

    def action_delete(self) -> None:
        self.app.delete_topic(self.topic)
