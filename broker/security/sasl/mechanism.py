"""What every SASL mechanism server offers the authenticator."""

from __future__ import annotations

from typing import Protocol


class AuthenticationFailed(Exception):
    """The client's credentials were refused; the message is safe to send to the client."""


class MechanismServer(Protocol):
    name: str
    complete: bool
    username: str | None  # set once complete

    async def step(self, token: bytes) -> bytes:
        """The server's reply to one client token; raises AuthenticationFailed."""
        ...
