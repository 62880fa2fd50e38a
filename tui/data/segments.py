"""Log segments of one partition, where the broker serves them over its admin HTTP API.

Kafka's protocol has no request for segments; the CLI's ``kctl log segments`` reads
``GET <admin-url>/v1/partitions/<topic>/<p>/segments``, and so does the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from kctl.commands.log import fetch_segments
from kctl.console import KctlError


@dataclass(frozen=True)
class Segments:
    rows: tuple[dict, ...] = ()
    unavailable: str | None = None  # why no segments are shown


NO_ADMIN_URL = (
    "Segments: this cluster exposes no admin HTTP endpoint to kctl "
    "(start with --admin-url or KCTL_ADMIN_URL where the broker serves "
    "/v1/partitions/<topic>/<p>/segments)."
)


def fetch_partition_segments(
    admin_url: str | None, topic: str, partition: int, timeout: float = 3.0
) -> Segments:
    if not admin_url:
        return Segments(unavailable=NO_ADMIN_URL)
    try:
        return Segments(tuple(fetch_segments(admin_url, topic, partition, timeout)))
    except KctlError as e:
        return Segments(unavailable=f"Segments unavailable: {e.message}")
