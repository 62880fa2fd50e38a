"""The table from API key to handler, filled by the handler modules as they are imported."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from broker.protocol.apis import ApiKey

Handler = Callable[[Any, Any], Awaitable[Any]]
HANDLERS: dict[int, Handler] = {}

MODULES = (
    "api_versions",
    "metadata",
    "produce",
    "fetch",
    "list_offsets",
    "offset_for_leader_epoch",
    "init_producer_id",
    "add_partitions_to_txn",
    "add_offsets_to_txn",
    "end_txn",
    "write_txn_markers",
    "txn_offset_commit",
    "describe_producers",
    "describe_transactions",
    "list_transactions",
    "create_topics",
    "delete_topics",
    "create_partitions",
    "describe_configs",
    "alter_configs",
    "incremental_alter_configs",
    "delete_records",
    "describe_log_dirs",
    "describe_cluster",
    "elect_leaders",
    "alter_partition_reassignments",
    "list_partition_reassignments",
    "describe_quorum",
    "find_coordinator",
    "join_group",
    "sync_group",
    "heartbeat",
    "leave_group",
    "offset_commit",
    "offset_fetch",
    "list_groups",
    "describe_groups",
    "delete_groups",
    "offset_delete",
    "consumer_group_heartbeat",
    "consumer_group_describe",
    "sasl_handshake",
    "sasl_authenticate",
    "describe_user_scram_credentials",
    "alter_user_scram_credentials",
    "describe_client_quotas",
    "alter_client_quotas",
    "describe_acls",
    "create_acls",
    "delete_acls",
)


def handles(api_key: ApiKey) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[api_key] = fn
        return fn

    return register


def load() -> dict[int, Handler]:
    for name in MODULES:
        importlib.import_module(f"broker.handlers.{name}")
    return HANDLERS
