"""The TCP listener: accepts connections and hands each to a Connection."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from broker.handlers import registry
from broker.network.connection import Connection

if TYPE_CHECKING:
    from broker.node import Broker

log = logging.getLogger("broker.network")


async def serve(broker: Broker, host: str, port: int) -> asyncio.Server:
    handlers = registry.load()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Connection(broker, handlers), host, port, reuse_address=True, backlog=1024
    )
    return server


async def close_connections(broker: Broker, grace: float = 2.0) -> None:
    """Let in-flight requests finish for up to ``grace`` seconds, then close every socket."""
    conns = list(broker.connections)
    for c in conns:
        c.drain()
    pending = [c.task for c in conns if c.task is not None and not c.task.done()]
    if pending:
        _, still = await asyncio.wait(pending, timeout=grace)
        for t in still:
            t.cancel()
    for c in conns:
        c.close()
