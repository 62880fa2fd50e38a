"""The TCP listeners: one asyncio server per listener, each handing connections to Connection.

TLS listeners pass their SSLContext to create_server: asyncio does the handshake before the
Connection sees the socket, so a failed handshake (or garbage on a TLS port) never reaches it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from broker.handlers import registry
from broker.network.connection import Connection

if TYPE_CHECKING:
    from broker.node import Broker
    from broker.security.settings import ListenerSpec

log = logging.getLogger("broker.network")

TLS_HANDSHAKE_TIMEOUT_S = 10.0  # a client that stalls mid-handshake holds a socket no longer


async def serve(broker: Broker, listener: ListenerSpec) -> asyncio.Server:
    handlers = registry.load()
    loop = asyncio.get_running_loop()
    tls = listener.ssl_context
    server = await loop.create_server(
        lambda: Connection(broker, handlers, listener),
        listener.host,
        listener.port,
        reuse_address=True,
        backlog=1024,
        ssl=tls,
        ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT_S if tls is not None else None,
    )
    if listener.port == 0:
        listener.port = server.sockets[0].getsockname()[1]
    return server


async def close_connections(broker: Broker, grace: float = 2.0) -> None:
    """Let in-flight requests finish for up to ``grace`` seconds, then close every socket."""
    conns = list(broker.connections)
    for c in conns:
        c.drain()
    deadline = asyncio.get_running_loop().time() + grace
    # a request that finishes lets the ones queued behind it run, which may wait in turn
    while pending := [c.task for c in conns if c.task is not None and not c.task.done()]:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            for t in pending:
                t.cancel()
            break
        await asyncio.wait(pending, timeout=remaining)
    for c in conns:
        c.close()
