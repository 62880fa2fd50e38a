"""SaslAuthenticate (key 36), v0-2, once a connection needs no more authentication.

Before authentication on a SASL listener the authenticator answers it
(broker/security/sasl/authenticator.py); here, as in Kafka, it is ILLEGAL_SASL_STATE.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.SASL_AUTHENTICATE)
async def handle(ctx, request):
    return ctx.respond(
        error_code=ErrorCode.illegal_sasl_state,
        error_message="SaslAuthenticate request received after successful authentication",
        auth_bytes=b"",
        session_lifetime=0,
    )
