"""The main screen: tabs for the cluster overview, the topics list and the consumer groups."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Sparkline, Static, TabbedContent, TabPane

from tui.data.snapshot import ClusterSnapshot, GroupStats
from tui.screens.base import DashboardScreen
from tui.widgets.literal import markup
from tui.widgets.tables import num, rate, refill, selected_key, size


def _eta(group: GroupStats) -> str:
    seconds = group.seconds_to_catch_up
    if seconds is None:
        return "falling behind" if group.lag_per_s > 0 else "-"
    return "caught up" if seconds == 0 else f"{seconds:,.0f}s"


class MainScreen(DashboardScreen):
    BINDINGS = [
        Binding("1", "tab('overview')", "Overview"),
        Binding("2", "tab('topics')", "Topics"),
        Binding("3", "tab('groups')", "Groups"),
        Binding("slash", "filter", "Filter", show=False),
        Binding("c", "create_topic", "Create"),
        Binding("x", "delete_topic", "Delete", show=False),
        Binding("t", "tail", "Tail"),
        Binding("i", "toggle_internal", "Internal", show=False),
        Binding("R", "reset_group", "Reset", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    show_internal = False  # internal topics (__consumer_offsets, ...) are hidden until `i`

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(initial="overview"):
            with TabPane("1 Overview", id="overview"):
                yield Static("Waiting for the cluster…", id="summary")
                yield DataTable(id="brokers", cursor_type="row")
            with TabPane("2 Topics", id="topics"):
                yield Input(placeholder="/ filter topics", id="topic-filter")
                yield DataTable(id="topic-table", cursor_type="row")
            with TabPane("3 Groups", id="groups"):
                yield Static("", id="groups-note")
                yield DataTable(id="group-table", cursor_type="row")
                with Vertical(id="group-detail"):
                    yield Static("", id="lag-label")
                    yield Sparkline([], id="lag-spark")
                    yield DataTable(id="group-partitions", cursor_type="row")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.query_one("#brokers", DataTable).add_columns(
            "broker", "host", "port", "role", "leads")
        self.query_one("#topic-table", DataTable).add_columns(
            "topic", "parts", "rf", "messages", "size", "msgs/s", "urp")
        self.query_one("#group-table", DataTable).add_columns(
            "group", "state", "members", "lag", "lag/s", "catch-up")
        self.query_one("#group-partitions", DataTable).add_columns(
            "topic", "part", "committed", "end", "lag", "member")
        super().on_mount()

    # --- drawing -----------------------------------------------------------------------

    def show_snapshot(self, snap: ClusterSnapshot) -> None:
        self._overview(snap)
        self._topics(snap)
        self._groups(snap)

    def _overview(self, snap: ClusterSnapshot) -> None:
        user_topics = [t for t in snap.topics if not t.internal]
        lag = sum(g.total_lag for g in snap.groups)
        summary = markup(
            "Cluster [b]$cluster[/]   controller [b]$controller[/]\n"
            f"Brokers {len(snap.brokers)}   topics {len(user_topics)}   "
            f"partitions {snap.partition_count - snap.internal_partition_count} "
            f"(+{snap.internal_partition_count} internal)\n"
            f"Under-replicated [b]{snap.under_replicated}[/]   offline [b]{snap.offline}[/]\n"
            f"In {rate(snap.msgs_in_per_s)} msgs/s   out (committed) "
            f"{rate(snap.msgs_out_per_s)} msgs/s   groups {len(snap.groups)}   "
            f"total lag {lag:,}",
            cluster=snap.cluster_id or "-", controller=snap.controller_id,
        )
        self.query_one("#summary", Static).update(summary)
        leads: dict[int, int] = {}
        for t in snap.topics:
            for p in t.partitions:
                leads[p.leader] = leads.get(p.leader, 0) + 1
        refill(self.query_one("#brokers", DataTable), (
            (str(b.node_id), (str(b.node_id), b.host, str(b.port),
                              "controller" if b.node_id == snap.controller_id else "broker",
                              str(leads.get(b.node_id, 0))))
            for b in snap.brokers
        ))

    def _topics(self, snap: ClusterSnapshot) -> None:
        needle = self.query_one("#topic-filter", Input).value.strip().lower()
        rows = []
        for t in snap.topics:
            if (needle and needle not in t.name.lower()) or (t.internal and not self.show_internal):
                continue
            urp = sum(p.under_replicated for p in t.partitions)
            rows.append((t.name, (t.name, str(len(t.partitions)), str(t.replication_factor),
                                  num(t.messages), size(t.size_bytes), rate(t.msgs_per_s),
                                  str(urp))))
        refill(self.query_one("#topic-table", DataTable), rows)

    def _groups(self, snap: ClusterSnapshot) -> None:
        note = self.query_one("#groups-note", Static)
        if snap.groups_error:
            note.update(markup("[b]No groups:[/] $error", error=snap.groups_error))
        elif not snap.groups:
            note.update("No consumer groups.")
        else:
            note.update("")
        refill(self.query_one("#group-table", DataTable), (
            (g.group, (g.group, g.state, str(len(g.members)), num(g.total_lag),
                       f"{g.lag_per_s:+,.1f}", _eta(g)))
            for g in snap.groups
        ))
        self._group_detail(snap)

    def _group_detail(self, snap: ClusterSnapshot) -> None:
        name = selected_key(self.query_one("#group-table", DataTable))
        group = snap.group(name) if name else None
        detail = self.query_one("#group-detail")
        detail.display = group is not None
        if group is None:
            return
        label = self.query_one("#lag-label", Static)
        spark = self.query_one("#lag-spark", Sparkline)
        table = self.query_one("#group-partitions", DataTable)
        history = self.app.lag_history.get(group.group, [])
        label.update(markup(f"$group: total lag {group.total_lag:,} (history: {len(history)})"
                            + ("  [b red]$error[/]" if group.error else ""),
                            group=group.group, error=group.error))
        spark.data = list(history)
        refill(table, (
            (f"{p.topic}:{p.partition}", (p.topic, str(p.partition), num(p.committed),
                                          num(p.log_end), num(p.lag), p.member or "-"))
            for p in group.partitions
        ))

    # --- events and actions ------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "topic-filter" and self.app.snapshot is not None:
            self._topics(self.app.snapshot)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "topic-filter":
            self.query_one("#topic-table").focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "group-table" and self.app.snapshot is not None:
            self._group_detail(self.app.snapshot)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "topic-table" and event.row_key.value:
            self.app.open_topic(event.row_key.value)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {"overview": "#brokers", "topics": "#topic-table", "groups": "#group-table"}
        self.query_one(target[tab]).focus()

    def action_toggle_internal(self) -> None:
        self.show_internal = not self.show_internal
        if self.app.snapshot is not None:
            self._topics(self.app.snapshot)

    def action_filter(self) -> None:
        self.action_tab("topics")
        self.query_one("#topic-filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#topic-filter", Input)
        box.value = ""
        self.query_one("#topic-table").focus()

    def current_topic(self) -> str | None:
        if self.query_one(TabbedContent).active != "topics":
            return None
        return selected_key(self.query_one("#topic-table", DataTable))

    def action_create_topic(self) -> None:
        self.app.create_topic()

    def action_delete_topic(self) -> None:
        topic = self.current_topic()
        if topic:
            self.app.delete_topic(topic)
        else:
            self.notify("Highlight a topic on the Topics tab first", severity="warning")

    def action_tail(self) -> None:
        topic = self.current_topic()
        if topic:
            self.app.open_tail(topic)
        else:
            self.notify("Highlight a topic on the Topics tab first", severity="warning")

    def action_reset_group(self) -> None:
        group = None
        if self.query_one(TabbedContent).active == "groups":
            group = selected_key(self.query_one("#group-table", DataTable))
        if group:
            self.app.reset_group(group)
        else:
            self.notify("Highlight a group on the Groups tab first", severity="warning")
