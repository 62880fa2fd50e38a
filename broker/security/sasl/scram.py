"""SCRAM-SHA-256/512 (RFC 5802/7677) on the server, through scramp.

Two rounds: client-first -> server-first (salt, iterations, nonce), client-final (proof) ->
server-final (server signature). Channel binding is not offered (Kafka does not use it). An
unknown user and a wrong proof fail alike, with Kafka's message for invalid credentials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import scramp

from broker.metadata.records import UserScramCredentialRecord
from broker.security.sasl.mechanism import AuthenticationFailed

log = logging.getLogger("broker.security")


class ScramServer:
    def __init__(
        self, name: str, credential: Callable[[str], UserScramCredentialRecord | None]
    ) -> None:
        self.name = name
        self.credential = credential
        self.complete = False
        self.username: str | None = None
        self._server = scramp.ScramMechanism(name).make_server(self._auth_info)
        self._round = 0
        self._failed = (
            f"Authentication failed during authentication due to invalid credentials with "
            f"SASL mechanism {name}"
        )

    def _auth_info(self, escaped: str) -> tuple[bytes, bytes, bytes, int] | None:
        # SCRAM escapes ',' and '=' in user names (RFC 5802 saslname)
        username = escaped.replace("=2C", ",").replace("=3D", "=")
        record = self.credential(username)
        if record is None:
            return None
        self.username = username
        return record.salt, record.stored_key, record.server_key, record.iterations

    def _accept_prefixed_nonce(self, client_final: str) -> None:
        """Kafka's ScramSaslServer (through 3.x) accepts a client-final nonce that ends with
        the combined nonce; librdkafka 2.0.x relies on it, sending the client nonce twice.
        The proof still covers the message exactly as sent."""
        sent = next((a[2:] for a in client_final.split(",") if a.startswith("r=")), None)
        expected = str(self._server.nonce)
        if sent is not None and sent != expected and sent.endswith(expected):
            self._server.nonce = type(self._server.nonce)(sent)

    async def step(self, token: bytes) -> bytes:
        try:
            message = token.decode()
            if self._round == 0:
                self._server.set_client_first(message)
                reply = self._server.get_server_first()
            elif self._round == 1:
                self._accept_prefixed_nonce(message)
                self._server.set_client_final(message)
                reply = self._server.get_server_final()
                self.complete = True
            else:
                raise AuthenticationFailed(self._failed)
        except (scramp.ScramException, UnicodeDecodeError) as e:
            log.debug("%s exchange failed in round %d: %s", self.name, self._round + 1, e)
            self.username = None
            raise AuthenticationFailed(self._failed) from None
        self._round += 1
        return reply.encode()
