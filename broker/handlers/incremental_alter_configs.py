"""IncrementalAlterConfigs (key 44), v0-1: SET, DELETE, APPEND, SUBTRACT per config.

Changes to a topic take effect at once on its partitions (segment size and age, flush
policy, max.message.bytes, timestamp type), and persist in the metadata log. A consumer
group's configs (GROUP, KIP-848: broker/group/group_configs.py) persist there too and apply
from its members' next heartbeat; SET and DELETE only. Broker logger levels (BROKER_LOGGER)
change at once and last until the broker stops (broker/log_levels.py).
"""

from __future__ import annotations

from broker import log_levels
from broker.errors import ErrorCode, KafkaError
from broker.handlers.config_resources import alter_resources
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey

OPERATIONS = {0: "SET", 1: "DELETE", 2: "APPEND", 3: "SUBTRACT"}


def _operations(res) -> list[tuple[str, str, str | None]]:
    ops = []
    for c in res.configs:
        if c.config_operation not in OPERATIONS:
            raise KafkaError(
                ErrorCode.invalid_request, f"unknown config operation {c.config_operation}"
            )
        ops.append((c.name, OPERATIONS[c.config_operation], c.value))
    return ops


@handles(ApiKey.INCREMENTAL_ALTER_CONFIGS)
async def handle(ctx, request):
    return alter_resources(
        ctx,
        request,
        _operations,
        lambda ctl, name, ops, dry: ctl.alter_topic_configs(name, ops, validate_only=dry),
        lambda ctl, name, ops, dry: ctl.alter_broker_configs(name, ops, validate_only=dry),
        lambda ctl, name, ops, dry: ctl.alter_group_configs(name, ops, validate_only=dry),
        lambda _ctl, _name, ops, dry: log_levels.alter(ops, validate_only=dry),
    )
