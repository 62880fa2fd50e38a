"""SASL PLAIN (RFC 4616) on the server: one token, authzid NUL authcid NUL password.

Users come first from the listener's JAAS ``user_<name>`` options, then from the stored SCRAM
credentials (the password is salted with the credential's salt and compared with its stored
key, as Redpanda does), so users made with AlterUserScramCredentials can log in with PLAIN too.
The messages are Kafka's PlainSaslServer's; a wrong user and a wrong password read the same.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable

from broker.metadata.records import UserScramCredentialRecord
from broker.security.credentials import verify_password
from broker.security.sasl.mechanism import AuthenticationFailed

INVALID = "Authentication failed: Invalid username or password"


class PlainServer:
    name = "PLAIN"

    def __init__(
        self,
        users: dict[str, str],
        scram_credentials: Callable[[str], list[UserScramCredentialRecord]],
    ) -> None:
        self.users = users
        self.scram_credentials = scram_credentials
        self.complete = False
        self.username: str | None = None

    async def step(self, token: bytes) -> bytes:
        parts = token.split(b"\x00")
        if len(parts) != 3:
            raise AuthenticationFailed("Invalid SASL/PLAIN response: expected 3 tokens")
        try:
            authzid, username, password = (p.decode() for p in parts)
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid SASL/PLAIN response: not UTF-8") from None
        if not username:
            raise AuthenticationFailed("Authentication failed: username not specified")
        if not password:
            raise AuthenticationFailed("Authentication failed: password not specified")
        if authzid and authzid != username:
            raise AuthenticationFailed(
                "Authentication failed: Client requested an authorization id that is "
                "different from username"
            )
        if not await self._valid(username, password):
            raise AuthenticationFailed(INVALID)
        self.username, self.complete = username, True
        return b""

    async def _valid(self, username: str, password: str) -> bool:
        expected = self.users.get(username)
        if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
            return True
        for record in self.scram_credentials(username):
            # PBKDF2 of up to 16384 rounds: a few ms, kept off the event loop
            if await asyncio.to_thread(verify_password, record, password):
                return True
        return False
