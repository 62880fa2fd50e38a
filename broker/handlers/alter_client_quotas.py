"""AlterClientQuotas (key 49), v0-1: set or remove quotas of user, client-id and ip entities.

v1 is flexible, nothing more (ip entities are taken at both versions, as Kafka does). One
answer per distinct entity, with Kafka's rules and messages (broker/quotas/alter.py); the
valid entities' changes are committed to the metadata log together, or only checked when
validate_only is set. AlterConfigs on the cluster is required; refused, every entity is
answered CLUSTER_AUTHORIZATION_FAILED. An ip entity naming a host is resolved first (Kafka
takes a valid IP or a resolvable host name).
"""

from __future__ import annotations

import asyncio
import ipaddress

from broker.errors import ErrorCode, KafkaError
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey
from broker.quotas.alter import Alteration, Outcome
from broker.quotas.entity import IP
from broker.security.acl import AclOperation

RESOLVE_TIMEOUT_S = 5.0


@handles(ApiKey.ALTER_CLIENT_QUOTAS)
async def handle(ctx, request):
    alterations = [
        Alteration(
            tuple((e.entity_type, e.entity_name) for e in entry.entity),
            tuple((op.key, None if op.remove else float(op.value)) for op in entry.ops),
        )
        for entry in request.entries
    ]
    if not ctx.authorize_cluster(AclOperation.ALTER_CONFIGS):
        error = KafkaError(ErrorCode.cluster_authorization_failed, "Cluster authorization failed.")
        return _response(ctx, [Outcome(a.parts, error) for a in alterations])
    hosts = {
        name
        for a in alterations
        for entity_type, name in a.parts
        if entity_type == IP and name and not _is_address(name)
    }
    resolved = {host for host in hosts if await _resolves(host)}
    try:
        outcomes = ctx.broker.controller.alter_client_quotas(
            alterations,
            lambda name: _is_address(name) or name in resolved,
            validate_only=request.validate_only,
        )
    except KafkaError as e:  # the metadata log could not be written
        outcomes = [Outcome(a.parts, e) for a in alterations]
    return _response(ctx, outcomes)


def _response(ctx, outcomes: list[Outcome]):
    return ctx.respond(
        throttle_time=0,
        entries=tuple(
            ctx.make(
                "EntryData",
                error_code=ErrorCode.none if o.error is None else o.error.code,
                error_message=None if o.error is None else o.error.message,
                entity=tuple(
                    ctx.make("EntityData", entity_type=t, entity_name=n) for t, n in o.parts
                ),
            )
            for o in outcomes
        ),
    )


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


async def _resolves(host: str) -> bool:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, None), RESOLVE_TIMEOUT_S)
    except (OSError, UnicodeError, TimeoutError):  # socket.gaierror is an OSError
        return False
    return True
