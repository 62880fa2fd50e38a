"""The disconnect banner: shown while the cluster does not answer, hidden once it does."""

from __future__ import annotations

from textual.widgets import Static

from tui.widgets.literal import plain


class DisconnectBanner(Static):
    DEFAULT_CSS = """
    DisconnectBanner {
        display: none;
        background: $error;
        color: $text;
        padding: 0 1;
        height: auto;
    }
    DisconnectBanner.-down { display: block; }
    """

    def show_error(self, reason: str | None) -> None:
        if reason is None:
            self.remove_class("-down")
            self.update("")
        else:
            self.update(plain(f"Disconnected: {reason} (retrying)"))
            self.add_class("-down")

    @property
    def down(self) -> bool:
        return self.has_class("-down")
