"""Every message the dashboard posts, in one place.

The refresh worker (a thread) posts ``SnapshotReady`` or ``SnapshotFailed`` to the app; the app
hands snapshots to the screens on the stack and shows or clears the disconnect banner.
"""

from __future__ import annotations

from textual.message import Message

from tui.data.snapshot import ClusterSnapshot


class SnapshotReady(Message):
    """A refresh succeeded: the cluster answered with this snapshot."""

    def __init__(self, snapshot: ClusterSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class SnapshotFailed(Message):
    """A refresh failed (the cluster did not answer); ``reason`` is one line for the banner."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
