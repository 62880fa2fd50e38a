"""Security of a new connection: the certificate principal (SSL) and the SASL authenticator.

Kept out of broker/network so plaintext connections never import it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from broker.security.credentials import TYPES
from broker.security.principal import subject_dn
from broker.security.sasl.authenticator import SaslAuthenticator
from broker.security.sasl.mechanism import MechanismServer
from broker.security.sasl.plain import PlainServer
from broker.security.sasl.scram import ScramServer

if TYPE_CHECKING:
    from broker.network.connection import Connection

log = logging.getLogger("broker.security")

MAX_UNAUTHENTICATED_FRAME = 524288


def secure(conn: Connection, transport: asyncio.BaseTransport) -> bool:
    """Set up ``conn`` for its listener's protocol; False when it must be closed."""
    listener = conn.listener
    if listener.ssl_context is not None:
        ssl_object = transport.get_extra_info("ssl_object")
        cert = ssl_object.getpeercert() if ssl_object is not None else None
        if cert and listener.principal_mapper is not None:
            dn = subject_dn(cert.get("subject", ()))
            try:
                conn.principal = f"User:{listener.principal_mapper.name(dn)}"
                log.debug("TLS client %s is %s", conn.peer, conn.principal)
            except ValueError as e:
                log.warning("closing TLS connection from %s: %s", conn.peer, e)
                return False
    if listener.sasl_mechanisms:
        # Kafka's sasl.server.max.receive.size: an unauthenticated client cannot make the
        # broker buffer a frame of socket.request.max.bytes (the connection restores it)
        conn.decoder.max_frame = min(conn.decoder.max_frame, MAX_UNAUTHENTICATED_FRAME)
        # after a v0 SaslHandshake, tokens come without a Kafka header: a PLAIN token of a
        # short name and password is under 8 bytes (the authenticator refuses what is not a
        # request before that)
        conn.decoder.min_frame = 0
        conn.authenticator = SaslAuthenticator(
            listener.sasl_mechanisms, _servers(conn), conn._handle, conn.peer
        )
    return True


def _servers(conn: Connection):
    image = lambda: conn.broker.metadata.image  # noqa: E731 - read at each login, not now
    users = conn.listener.plain_users

    def new_server(mechanism: str) -> MechanismServer:
        if mechanism == "PLAIN":
            return PlainServer(
                users, lambda name: list(image().scram_credentials.get(name, {}).values())
            )
        mechanism_type = TYPES[mechanism]
        return ScramServer(
            mechanism, lambda name: image().scram_credentials.get(name, {}).get(mechanism_type)
        )

    return new_server
