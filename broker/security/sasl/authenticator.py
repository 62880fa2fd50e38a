"""The SASL state machine of one connection on a SASL_PLAINTEXT or SASL_SSL listener.

Until authentication completes only ApiVersions and the SASL requests are answered, as in
Apache Kafka (SaslServerAuthenticator):

    HANDSHAKE     ApiVersions -> answered; SaslHandshake(mechanism) -> AUTHENTICATE, or
                  UNSUPPORTED_SASL_MECHANISM (with the enabled list) and close;
                  SaslAuthenticate -> ILLEGAL_SASL_STATE and close; anything else -> close
    AUTHENTICATE  after SaslHandshake v0: raw size-prefixed SASL tokens, no Kafka header;
                  after v1: SaslAuthenticate requests (a SaslHandshake -> ILLEGAL_SASL_STATE
                  and close, anything else -> close). Failure -> SASL_AUTHENTICATION_FAILED
                  (v1; v0 can only close) and close.
    done          the connection drops the authenticator; principal is User:<name>.

Sessions never expire (session_lifetime_ms 0), so clients do not re-authenticate (KIP-368).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from broker.errors import ErrorCode
from broker.handlers.context import make
from broker.protocol import codec
from broker.protocol import header as hdr
from broker.protocol.apis import ApiKey
from broker.security.sasl.mechanism import AuthenticationFailed, MechanismServer

log = logging.getLogger("broker.security")

Reply = tuple[bytes | None, bool]  # (bytes to write, keep the connection open)


class SaslAuthenticator:
    def __init__(
        self,
        mechanisms: tuple[str, ...],
        new_server: Callable[[str], MechanismServer],
        handle_request: Callable[[bytearray], Awaitable[list[codec.Buffer] | bool | None]],
        peer: str,
    ) -> None:
        self.mechanisms = mechanisms
        self.new_server = new_server
        self.handle_request = handle_request  # the connection's normal path, for ApiVersions
        self.peer = peer
        self.server: MechanismServer | None = None  # set by the handshake
        self.raw_tokens = False  # SaslHandshake v0: tokens without Kafka headers
        self.principal: str | None = None  # set once authenticated

    async def receive(self, frame: bytes) -> Reply:
        if self.server is not None and self.raw_tokens:
            return await self._raw_token(frame)
        try:
            api_key = hdr.peek(frame)[0]
        except (hdr.HeaderError, struct.error):
            return self._refuse("not a Kafka request")
        if self.server is None:
            if api_key == ApiKey.API_VERSIONS:
                response = await self.handle_request(frame)  # buffers, None, or False
                if response is False:
                    return None, False
                return (b"".join(response) if response else None), True
            if api_key == ApiKey.SASL_HANDSHAKE:
                return self._handshake(frame)
            if api_key == ApiKey.SASL_AUTHENTICATE:
                return self._illegal_state(frame, "SaslAuthenticate before SaslHandshake")
        else:
            if api_key == ApiKey.SASL_AUTHENTICATE:
                return await self._authenticate(frame)
            if api_key == ApiKey.SASL_HANDSHAKE:
                return self._illegal_state(frame, "a second SaslHandshake")
        return self._refuse(f"unexpected {_name(api_key)} request during SASL authentication")

    # --- states -------------------------------------------------------------------------

    def _handshake(self, frame: bytes) -> Reply:
        request = self._decode(frame)
        if request is None:
            return None, False
        mechanism = request.body.mechanism
        enabled = self.mechanisms
        if mechanism not in enabled:
            log.info(
                "closing connection from %s: SASL mechanism %r is not enabled (%s)",
                self.peer,
                mechanism,
                ", ".join(enabled),
            )
            body = _body(
                request, error_code=ErrorCode.unsupported_sasl_mechanism, mechanisms=enabled
            )
            return codec.encode_response(request.header, body), False
        self.server = self.new_server(mechanism)
        self.raw_tokens = request.header.api_version == 0
        body = _body(request, error_code=ErrorCode.none, mechanisms=enabled)
        return codec.encode_response(request.header, body), True

    async def _authenticate(self, frame: bytes) -> Reply:
        request = self._decode(frame)
        if request is None:
            return None, False
        assert self.server is not None
        try:
            reply = await self.server.step(request.body.auth_bytes)
        except AuthenticationFailed as e:
            self._log_failure(e)
            body = _body(
                request,
                error_code=ErrorCode.sasl_authentication_failed,
                error_message=str(e),
                auth_bytes=b"",
                session_lifetime=0,
            )
            return codec.encode_response(request.header, body), False
        self._maybe_complete()
        body = _body(
            request,
            error_code=ErrorCode.none,
            error_message=None,
            auth_bytes=reply,
            session_lifetime=0,
        )
        return codec.encode_response(request.header, body), True

    async def _raw_token(self, token: bytes) -> Reply:
        assert self.server is not None
        try:
            reply = await self.server.step(token)
        except AuthenticationFailed as e:
            self._log_failure(e)
            return None, False  # no way to say why without a Kafka header: close, as Kafka does
        self._maybe_complete()
        return len(reply).to_bytes(4, "big") + reply, True

    # --- helpers ------------------------------------------------------------------------

    def _maybe_complete(self) -> None:
        assert self.server is not None
        if self.server.complete:
            self.principal = f"User:{self.server.username}"
            log.debug("%s authenticated as %s with %s", self.peer, self.principal, self.server.name)

    def _log_failure(self, e: AuthenticationFailed) -> None:
        name = self.server.name if self.server is not None else "?"
        log.info("failed %s authentication from %s: %s", name, self.peer, e)

    def _illegal_state(self, frame: bytes, what: str) -> Reply:
        request = self._decode(frame)
        if request is None:
            return None, False
        log.info("closing connection from %s: %s", self.peer, what)
        fields: dict[str, Any] = {"error_code": ErrorCode.illegal_sasl_state}
        if request.header.api_key == ApiKey.SASL_AUTHENTICATE:
            fields.update(error_message=f"Unexpected {what}", auth_bytes=b"", session_lifetime=0)
        else:
            fields.update(mechanisms=())  # as Kafka's error response: no list
        return codec.encode_response(request.header, _body(request, **fields)), False

    def _decode(self, frame: bytes) -> codec.Request | None:
        try:
            return codec.decode_request(frame)
        except codec.ProtocolError as e:
            log.warning("closing connection from %s: %s", self.peer, e)
            return None

    def _refuse(self, why: str) -> Reply:
        log.warning("closing connection from %s: %s", self.peer, why)
        return None, False


def _body(request: codec.Request, **fields: Any) -> Any:
    cls = codec.response_class(request.header.api_key, request.header.api_version)
    return make(cls, **fields)


def _name(api_key: int) -> str:
    try:
        return ApiKey(api_key).name
    except ValueError:
        return f"API key {api_key}"
