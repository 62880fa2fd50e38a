"""`kctl log segments TOPIC[:P]`: a partition's log segments, from the broker's admin HTTP API.

Kafka's protocol has no request listing segments, so this reads the broker's JSON endpoint
``GET <admin-url>/v1/partitions/<topic>/<partition>/segments``, which answers a JSON list of
segment objects (or ``{"segments": [...]}``) such as
``{"base_offset": 0, "next_offset": 120, "size_bytes": 4096, "max_timestamp": ...}``.
Fields are shown as the broker names them; the well-known ones come first.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated, Any

import typer

from kctl import output
from kctl.client import Cluster
from kctl.completers import complete_topics
from kctl.console import ExitCode, KctlError
from kctl.name_args import one_name
from kctl.options import global_options, settings

KNOWN_FIELDS = ("base_offset", "next_offset", "end_offset", "records", "size_bytes",
                "first_timestamp", "max_timestamp", "created", "active", "path")


def parse_target(text: str) -> tuple[str, int | None]:
    """``orders`` -> ("orders", None); ``orders:3`` -> ("orders", 3)."""
    topic, sep, part = text.rpartition(":")
    if sep and topic and part.isdigit():
        return topic, int(part)
    return text, None  # Kafka topic names cannot contain ':'; let the broker say it is bad


def fetch_segments(admin_url: str, topic: str, partition: int, timeout: float) -> list[dict]:
    base = admin_url if "://" in admin_url else f"http://{admin_url}"
    url = (f"{base.rstrip('/')}/v1/partitions/{urllib.parse.quote(topic, safe='')}"
           f"/{partition}/segments")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise KctlError(f"{topic}:{partition}: no such partition on the broker at "
                            f"{base} (HTTP 404)", ExitCode.NOT_FOUND) from e
        raise KctlError(f"admin endpoint {url} answered HTTP {e.code}", ExitCode.ERROR) from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise KctlError(
            f"broker admin API at {base} is unavailable ({reason}); segments are only shown "
            "by brokers that serve /v1/partitions/.../segments (set --admin-url)",
            ExitCode.UNREACHABLE,
        ) from e
    try:
        data = json.loads(body)
    except ValueError as e:
        raise KctlError(f"admin endpoint {url} did not answer JSON", ExitCode.ERROR) from e
    if isinstance(data, dict):
        data = data.get("segments")
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise KctlError(f"admin endpoint {url} answered an unexpected shape", ExitCode.ERROR)
    return data


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Inspect partition logs on disk (where the broker exposes them).",
                        no_args_is_help=True)

    @group.command("segments")
    @global_options()
    def segments(
        ctx: typer.Context,
        admin_url: Annotated[
            str,
            typer.Option("--admin-url", envvar="KCTL_ADMIN_URL", metavar="URL",
                         help="The broker's admin HTTP address (its admin.listen), "
                         "e.g. http://127.0.0.1:9644."),
        ],
        target_arg: Annotated[
            str | None,
            typer.Argument(metavar="TOPIC[:PARTITION]", autocompletion=complete_topics,
                           show_default=False,
                           help="A topic (all partitions) or one partition (or use -t)."),
        ] = None,
        target_opt: Annotated[
            str | None,
            typer.Option("--topic", "-t", metavar="TOPIC[:PARTITION]",
                         autocompletion=complete_topics, help="Same as TOPIC[:PARTITION]."),
        ] = None,
    ) -> None:
        """List log segments: base offset, next offset, size, timestamps.

        Examples:
          kctl log segments orders:0 --admin-url http://127.0.0.1:9644
          KCTL_ADMIN_URL=127.0.0.1:9644 kctl log segments orders -o json
        """
        s = settings(ctx)
        topic, partition = parse_target(one_name(target_arg, target_opt))
        timeout = s.timeout or 10.0
        if partition is None:
            info = Cluster(s).topic(topic)
            partitions = [p.partition for p in info.partitions]
        else:
            partitions = [partition]
        rows: list[dict[str, Any]] = []
        for p in partitions:
            for seg in fetch_segments(admin_url, topic, p, timeout):
                rows.append({"topic": topic, "partition": p, **seg})
        keys: dict[str, None] = {"topic": None, "partition": None}
        keys.update(dict.fromkeys(k for k in KNOWN_FIELDS if any(k in r for r in rows)))
        for r in rows:
            keys.update(dict.fromkeys(r))
        output.print_rows(rows, s.output, columns=list(keys))

    app.add_typer(group, name="log")
