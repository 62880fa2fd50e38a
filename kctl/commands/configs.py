"""`kctl configs describe|alter` for topics and brokers."""

from __future__ import annotations

from typing import Annotated

import typer
from confluent_kafka.admin import ConfigResource, ResourceType

from kctl import output
from kctl.client import Cluster
from kctl.config_alter import (
    AppendOpt,
    DeleteOpt,
    DryRunOpt,
    SetOpt,
    SubtractOpt,
    alter_configs,
)
from kctl.console import ExitCode, fail
from kctl.name_args import TopicArg, TopicOpt, given_once
from kctl.options import global_options, require_writable, settings

BrokerOpt = Annotated[
    int | None, typer.Option("--broker", metavar="NODE_ID", help="A broker's configs.")
]


def _resource(
    topic_arg: str | None, topic_opt: str | None, broker: int | None
) -> ConfigResource:
    topic = given_once(topic_arg, topic_opt)
    if (topic is None) == (broker is None):
        fail("give exactly one of TOPIC (or --topic) and --broker", ExitCode.USAGE)
    if topic is not None:
        return ConfigResource(ResourceType.TOPIC, topic)
    return ConfigResource(ResourceType.BROKER, str(broker))


def _check_exists(cluster: Cluster, resource: ConfigResource) -> None:
    """A clear "does not exist" (exit 4) at once, rather than a request that times out."""
    if resource.restype == ResourceType.TOPIC:
        cluster.topic(resource.name)
        return
    ids = [b.node_id for b in cluster.cluster_view().brokers]
    if int(resource.name) not in ids:
        fail(f"broker {resource.name} does not exist (brokers: {', '.join(map(str, ids))})",
             ExitCode.NOT_FOUND)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Describe and change topic and broker configs.",
                        no_args_is_help=True)

    @group.command("describe")
    @global_options()
    def describe(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic: TopicOpt = None,
        broker: BrokerOpt = None,
        changed: Annotated[
            bool, typer.Option("--changed", help="Only configs not at their default.")
        ] = False,
    ) -> None:
        """Show configs with their value and where it comes from (SOURCE).

        Sensitive values are shown as *****.

        Examples:
          kctl configs describe orders --changed
          kctl configs describe --broker 1 -o json
        """
        s = settings(ctx)
        resource = _resource(topic_arg, topic, broker)
        cluster = Cluster(s)
        _check_exists(cluster, resource)
        values = cluster.describe_configs(resource)
        if changed:
            values = [v for v in values if not v.default]
        rows = [
            {"name": v.name, "value": v.shown(), "source": v.source,
             "read_only": v.read_only, "sensitive": v.sensitive, "default": v.default}
            for v in values
        ]
        output.print_rows(rows, s.output, columns=["name", "value", "source", "read_only"])

    @group.command("alter")
    @global_options()
    def alter(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic: TopicOpt = None,
        broker: BrokerOpt = None,
        set_: SetOpt = None,
        delete: DeleteOpt = None,
        append: AppendOpt = None,
        subtract: SubtractOpt = None,
        dry_run: DryRunOpt = False,
    ) -> None:
        """Change configs incrementally (IncrementalAlterConfigs); shows current -> new.

        --append/--subtract add or remove items of list configs such as cleanup.policy.
        --dry-run asks the broker to validate the change and applies nothing.

        Examples:
          kctl configs alter -t orders --set retention.ms=86400000 --dry-run
          kctl configs alter -t orders --append cleanup.policy=compact
          kctl configs alter --broker 1 --set log.retention.ms=604800000
        """
        s = settings(ctx)
        resource = _resource(topic_arg, topic, broker)
        if not dry_run:
            require_writable(s, "alter configs")
        cluster = Cluster(s)
        _check_exists(cluster, resource)
        alter_configs(s.output, cluster, resource, set_=set_, delete=delete, append=append,
                      subtract=subtract, dry_run=dry_run)

    app.add_typer(group, name="configs")
