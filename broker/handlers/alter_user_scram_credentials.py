"""AlterUserScramCredentials (key 51), v0: add, replace or delete users' SCRAM credentials.

The client salts the password (salt, iterations, SaltedPassword); the controller keeps only
the salt, StoredKey and ServerKey, in the metadata log. Kafka's per-user results and codes:
DUPLICATE_RESOURCE (a user named twice), RESOURCE_NOT_FOUND (deleting what is not there),
UNACCEPTABLE_CREDENTIAL (empty name, iterations outside 4096..16384), UNSUPPORTED_SASL_MECHANISM.
"""

from __future__ import annotations

from broker.errors import ErrorCode
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.security.acl import AclOperation
from broker.security.credentials import Upsertion


@handles(ApiKey.ALTER_USER_SCRAM_CREDENTIALS)
async def handle(ctx, request):
    if not ctx.authorize_cluster(AclOperation.ALTER):
        users = sorted({d.name for d in request.deletions} | {u.name for u in request.upsertions})
        refused = tuple(
            ctx.make(
                "AlterUserScramCredentialsResult",
                user=user,
                error_code=ErrorCode.cluster_authorization_failed,
                error_message="Alter on the cluster denied",
            )
            for user in users
        )
        return ctx.respond(throttle_time=0, results=refused)
    return ctx.respond(throttle_time=0, results=results(ctx, request))


def results(ctx, request) -> tuple:
    deletions = [(d.name, d.mechanism) for d in request.deletions]
    upsertions = [
        Upsertion(u.name, u.mechanism, u.iterations, u.salt, u.salted_password)
        for u in request.upsertions
    ]
    outcome = ctx.broker.controller.alter_scram_credentials(deletions, upsertions)
    return tuple(
        ctx.make(
            "AlterUserScramCredentialsResult",
            user=user,
            error_code=ErrorCode.none if error is None else error.code,
            error_message=None if error is None else error.message,
        )
        for user, error in outcome
    )
