"""The admin endpoint's routes: health, readiness, Prometheus metrics, JSON views of logs.

JSON views read the broker's in-memory state synchronously on its event loop, like request
handlers do, so they see a consistent log (no retention or append runs in between).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from aiohttp import web

from broker.admin_http import exposition

if TYPE_CHECKING:
    from broker.node import Broker

BROKER_KEY: web.AppKey[Broker] = web.AppKey("broker")
REGISTRY_KEY = web.AppKey("registry", object)


async def healthz(request: web.Request) -> web.Response:
    """The process and its event loop answer."""
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    """200 once the Kafka listener accepts connections, 503 before and while stopping."""
    if request.app[BROKER_KEY].serving:
        return web.Response(text="ready\n")
    return web.Response(status=503, text="not ready\n")


async def metrics(request: web.Request) -> web.Response:
    body = exposition.render(request.app[REGISTRY_KEY])  # type: ignore[arg-type]
    return web.Response(body=body, headers={"Content-Type": exposition.CONTENT_TYPE})


async def partitions(request: web.Request) -> web.Response:
    broker = request.app[BROKER_KEY]
    rows = []
    for (topic, index), p in sorted(broker.partitions.items()):
        lg = p.log
        rows.append(
            {
                "topic": topic,
                "partition": index,
                "log_start_offset": lg.log_start_offset,
                "log_end_offset": lg.log_end_offset,
                "high_watermark": p.high_watermark,
                "size_bytes": lg.size_bytes,
                "segments": len(lg.closed_segments()) + 1,
            }
        )
    return web.json_response({"partitions": rows})


async def segments(request: web.Request) -> web.Response:
    """``{"topic", "partition", "log_start_offset", "segments": [SegmentInfo fields...]}``,
    oldest first; the shape ``kctl log segments`` and the dashboard read."""
    broker = request.app[BROKER_KEY]
    topic = request.match_info["topic"]
    raw = request.match_info["partition"]
    if not (raw.isascii() and raw.isdigit()):
        raise web.HTTPBadRequest(text=f"partition {raw!r} is not a number\n")
    p = broker.partition(topic, int(raw))
    if p is None:
        raise web.HTTPNotFound(text=f"{topic}-{raw} is not hosted by this broker\n")
    return web.json_response(
        {
            "topic": topic,
            "partition": p.index,
            "log_start_offset": p.log.log_start_offset,
            "segments": [dataclasses.asdict(s) for s in p.log.segments()],
        }
    )


def make_app(broker: Broker) -> web.Application:
    app = web.Application()
    app[BROKER_KEY] = broker
    app[REGISTRY_KEY] = exposition.registry_for(broker)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/v1/partitions", partitions)
    app.router.add_get("/v1/partitions/{topic}/{partition}/segments", segments)
    return app
