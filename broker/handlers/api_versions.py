"""ApiVersions (key 18), v0-4: the API ranges this broker serves.

An unsupported ApiVersions version is answered with UNSUPPORTED_VERSION in a v0 body that
lists ApiVersions' own range, so the client can retry with a version both sides speak.
The response header is always v0 (handled in protocol/header.py).
"""

from __future__ import annotations

from kio.schema.api_versions.v0.response import ApiVersion as ApiVersionV0
from kio.schema.api_versions.v0.response import ApiVersionsResponse as ApiVersionsResponseV0

from broker.errors import ErrorCode
from broker.handlers.registry import HANDLERS, handles
from broker.protocol import codec
from broker.protocol.apis import SERVED, ApiKey
from broker.protocol.header import RequestHeader


@handles(ApiKey.API_VERSIONS)
async def handle(ctx, request):
    keys = tuple(
        ctx.make("ApiVersion", api_key=k, min_version=r.advertised[0], max_version=r.advertised[1])
        for k, r in sorted(SERVED.items())
        if k in HANDLERS
    )
    return ctx.respond(error_code=ErrorCode.none, api_keys=keys, throttle_time=0)


def unsupported_version_response(header: RequestHeader) -> bytes:
    served = SERVED[ApiKey.API_VERSIONS]
    body = ApiVersionsResponseV0(
        error_code=ErrorCode.unsupported_version,
        api_keys=(
            ApiVersionV0(
                api_key=ApiKey.API_VERSIONS, min_version=served.min, max_version=served.max
            ),
        ),
    )
    v0 = RequestHeader(header.api_key, 0, header.correlation_id, header.client_id)
    return codec.encode_response(v0, body)
