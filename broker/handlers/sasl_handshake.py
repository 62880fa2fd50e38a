"""SaslHandshake (key 17), v0-1, once a connection needs no more authentication.

Before authentication on a SASL listener the handshake is the authenticator's
(broker/security/sasl/authenticator.py). Here, on a plaintext/SSL listener or after SASL
authentication, Kafka answers ILLEGAL_SASL_STATE: re-authentication is not offered
(session_lifetime_ms is 0).
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.SASL_HANDSHAKE)
async def handle(ctx, request):
    return ctx.respond(error_code=ErrorCode.illegal_sasl_state, mechanisms=())
