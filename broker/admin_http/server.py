"""Serving the admin endpoint with aiohttp on the broker's own event loop.

It starts only when ``admin.listen`` is set. There is no default address; an empty host
(``:9644``) means loopback, never all interfaces, and binding a non-loopback address (which
exposes metrics and log layout unauthenticated) is allowed only as written and logged.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from broker.admin_http.routes import make_app

if TYPE_CHECKING:
    from broker.node import Broker

log = logging.getLogger("broker.admin_http")


def parse_admin_listen(value: str) -> tuple[str, int]:
    """'127.0.0.1:9644' -> ('127.0.0.1', 9644); ':9644' -> loopback; '[::1]:1' -> ('::1', 1)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"admin.listen {value!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class AdminServer:
    runner: web.AppRunner
    host: str
    port: int  # the bound port (differs from the configured one when that was 0)

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_admin(broker: Broker, listen: str) -> AdminServer:
    host, port = parse_admin_listen(listen)
    if not is_loopback(host):
        log.warning("admin endpoint bound to non-loopback %s as configured (admin.listen)", host)
    runner = web.AppRunner(make_app(broker), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("admin endpoint on http://%s:%d", host, bound)
    return AdminServer(runner, host, bound)
