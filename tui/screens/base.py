"""What every dashboard screen shares: header, disconnect banner, footer, snapshot updates."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from tui.data.snapshot import ClusterSnapshot
from tui.widgets.banner import DisconnectBanner


class DashboardScreen(Screen):
    """A screen that the app feeds with snapshots and connection errors."""

    def compose_top(self) -> ComposeResult:
        yield Header()
        yield DisconnectBanner(id="banner")

    def compose_bottom(self) -> ComposeResult:
        yield Footer()

    def on_mount(self) -> None:
        app = self.app
        self.show_error(getattr(app, "error", None))
        snapshot = getattr(app, "snapshot", None)
        if snapshot is not None:
            self.show_snapshot(snapshot)

    @property
    def showing(self) -> bool:
        """Still on the stack: a worker's late answer for a closed screen is dropped."""
        return self.is_attached and self in self.app.screen_stack

    def show_error(self, reason: str | None) -> None:
        self.query_one(DisconnectBanner).show_error(reason)

    def show_snapshot(self, snapshot: ClusterSnapshot) -> None:
        """Redraw from a new snapshot (subclasses)."""
