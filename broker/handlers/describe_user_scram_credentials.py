"""DescribeUserScramCredentials (key 50), v0: each user's SCRAM mechanisms and iterations.

Kafka's rules (ScramImage.describe): no users (null or empty) means every user with a
credential; a user named twice is DUPLICATE_RESOURCE; a user without credentials is
RESOURCE_NOT_FOUND. Salts and keys are never returned.
"""

from __future__ import annotations

from collections import Counter

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation


@handles(ApiKey.DESCRIBE_USER_SCRAM_CREDENTIALS)
async def handle(ctx, request):
    if not ctx.authorize_cluster(AclOperation.DESCRIBE):
        # as Kafka's error response: the error at the top and once per user asked about (Kafka
        # leaves those results' user names empty)
        code, message = ErrorCode.cluster_authorization_failed, "Describe on the cluster denied"
        refused = tuple(
            ctx.make(
                "DescribeUserScramCredentialsResult",
                user="",
                error_code=code,
                error_message=message,
                credential_infos=(),
            )
            for _ in request.users or ()
        )
        return ctx.respond(throttle_time=0, error_code=code, error_message=message, results=refused)
    found = results(ctx, request)
    return ctx.respond(
        throttle_time=0, error_code=ErrorCode.none, error_message=None, results=found
    )


def results(ctx, request) -> tuple:
    stored = ctx.broker.metadata.image.scram_credentials
    if not request.users:
        counts = Counter(sorted(stored))
    else:
        counts = Counter(u.name for u in request.users)
    out = []
    for user, count in counts.items():
        if count > 1:
            code = ErrorCode.duplicate_resource
            message = (
                "Cannot describe SCRAM credentials for the same user twice in a single "
                f"request: {user}"
            )
            infos: tuple = ()
        elif stored.get(user):
            code, message = ErrorCode.none, None
            infos = tuple(
                ctx.make("CredentialInfo", mechanism=m, iterations=rec.iterations)
                for m, rec in sorted(stored[user].items())
            )
        else:
            code = ErrorCode.resource_not_found
            message = f"Attempt to describe a user credential that does not exist: {user}"
            infos = ()
        out.append(
            ctx.make(
                "DescribeUserScramCredentialsResult",
                user=user,
                error_code=code,
                error_message=message,
                credential_infos=infos,
            )
        )
    return tuple(out)
