"""Plan and apply config changes with IncrementalAlterConfigs (topics, brokers, consumer groups
and a broker's loggers, each a ConfigTarget).

A plan pairs every touched key with its current and new value, so ``--dry-run`` can show
``current -> new`` before anything changes; ``apply`` sends the same operations. List-valued
configs (comma-separated, e.g. ``cleanup.policy``) support ``--append`` and ``--subtract``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

import typer
from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

from kctl import output
from kctl.client import Cluster, ConfigValue, kafka_error
from kctl.console import ExitCode, KctlError
from kctl.options import parse_pairs

SET, DELETE, APPEND, SUBTRACT = "set", "delete", "append", "subtract"
# Options shared by `topics alter` and `configs alter`.
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", metavar="KEY=VALUE", help="Set a config (repeatable)."),
]
DeleteOpt = Annotated[
    list[str] | None,
    typer.Option("--delete", metavar="KEY", help="Remove an override (back to default)."),
]
AppendOpt = Annotated[
    list[str] | None,
    typer.Option("--append", metavar="KEY=VALUE", help="Add items to a list config."),
]
SubtractOpt = Annotated[
    list[str] | None,
    typer.Option("--subtract", metavar="KEY=VALUE", help="Remove items from a list config."),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Show current -> new and let the broker validate; change nothing."
    ),
]

_OP_TYPES = {
    SET: AlterConfigOpType.SET,
    DELETE: AlterConfigOpType.DELETE,
    APPEND: AlterConfigOpType.APPEND,
    SUBTRACT: AlterConfigOpType.SUBTRACT,
}


@dataclass(frozen=True)
class Change:
    name: str
    op: str
    value: str | None  # the operand (None for delete)
    current: str | None
    new: str | None  # what the config will read afterwards (None: back to its default)

    def row(self) -> dict[str, str | None]:
        return {"name": self.name, "op": self.op, "current": self.current, "new": self.new}


def _items(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def plan(
    current: list[ConfigValue],
    *,
    set_: list[str],
    delete: list[str],
    append: list[str],
    subtract: list[str],
) -> list[Change]:
    """The changes asked for, each with the value before and after; a usage error if none."""
    now = {c.name: c for c in current}
    changes: list[Change] = []
    seen: set[str] = set()

    def add(change: Change) -> None:
        if change.name in seen:
            raise KctlError(f"config {change.name!r} is changed twice", ExitCode.USAGE)
        seen.add(change.name)
        changes.append(change)

    def value_of(name: str) -> str | None:
        c = now.get(name)
        return c.shown() if c else None

    for name, value in parse_pairs(set_, "--set").items():
        add(Change(name, SET, value, value_of(name), value))
    for name in delete:
        add(Change(name, DELETE, None, value_of(name), None))
    for name, value in parse_pairs(append, "--append").items():
        items = _items(value_of(name))
        new = ",".join(items + [v for v in _items(value) if v not in items])
        add(Change(name, APPEND, value, value_of(name), new))
    for name, value in parse_pairs(subtract, "--subtract").items():
        drop = set(_items(value))
        new = ",".join(v for v in _items(value_of(name)) if v not in drop)
        add(Change(name, SUBTRACT, value, value_of(name), new))
    if not changes:
        raise KctlError("nothing to change: give --set, --delete, --append or --subtract",
                        ExitCode.USAGE)
    return changes


class ConfigTarget(Protocol):
    """Whose configs change: what they read now, and how the changes are sent."""

    cluster: Cluster

    def describe(self) -> list[ConfigValue]: ...

    def apply(self, changes: list[Change], *, validate_only: bool) -> None: ...


@dataclass(frozen=True)
class ResourceConfigs:
    """A topic's, a broker's or a consumer group's configs, through the admin client
    (librdkafka sends its GROUP resource as Kafka's config resource type 32)."""

    cluster: Cluster
    resource: ConfigResource

    def describe(self) -> list[ConfigValue]:
        return self.cluster.describe_configs(self.resource)

    def apply(self, changes: list[Change], *, validate_only: bool) -> None:
        """Send the changes in one IncrementalAlterConfigs request (validate only for dry
        runs)."""
        target = ConfigResource(
            self.resource.restype,
            self.resource.name,
            incremental_configs=[
                ConfigEntry(c.name, c.value, incremental_operation=_OP_TYPES[c.op])
                for c in changes
            ],
        )
        cluster = self.cluster
        futures = cluster.admin().incremental_alter_configs(
            [target], request_timeout=cluster.timeout, validate_only=validate_only
        )
        try:
            futures[target].result(cluster.timeout)
        except KafkaException as e:
            raise kafka_error(e, f"alter configs of {self.resource.name}") from e


def alter_configs(
    fmt: str,
    target: ConfigTarget,
    *,
    set_: list[str] | None,
    delete: list[str] | None,
    append: list[str] | None,
    subtract: list[str] | None,
    dry_run: bool,
) -> None:
    """Shared by `topics alter` and `configs alter`: plan, show current -> new, apply."""
    target.cluster.check_reachable()
    changes = plan(
        target.describe(), set_=set_ or [], delete=delete or [], append=append or [],
        subtract=subtract or [],
    )
    target.apply(changes, validate_only=dry_run)
    rows = [{**c.row(), "applied": not dry_run} for c in changes]
    if fmt == "table":
        title = "planned (dry run, nothing changed):" if dry_run else "applied:"
        output.print_table(rows, ["name", "op", "current", "new"], title=title)
    else:
        output.print_rows(rows, fmt)
