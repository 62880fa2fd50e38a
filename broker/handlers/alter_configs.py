"""AlterConfigs (key 33), v0-2: replace a resource's whole set of dynamic configs.

Legacy and non-incremental: configs left out of the request are removed. Clients should
prefer IncrementalAlterConfigs; this one stays for older tools. As in Kafka, it serves topics,
brokers and consumer groups (GROUP), not broker loggers.
"""

from __future__ import annotations

from broker.handlers.config_resources import alter_resources
from broker.handlers.registry import handles
from broker.protocol.apis import ApiKey


@handles(ApiKey.ALTER_CONFIGS)
async def handle(ctx, request):
    return alter_resources(
        ctx,
        request,
        lambda res: {c.name: c.value for c in res.configs},
        lambda ctl, name, configs, dry: ctl.replace_topic_configs(name, configs, validate_only=dry),
        lambda ctl, name, configs, dry: ctl.replace_broker_configs(
            name, configs, validate_only=dry
        ),
        lambda ctl, name, configs, dry: ctl.replace_group_configs(
            name, configs, validate_only=dry
        ),
    )
