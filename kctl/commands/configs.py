"""`kctl configs describe|alter` for topics, brokers, consumer groups and a broker's loggers."""

from __future__ import annotations

from typing import Annotated

import typer
from confluent_kafka.admin import ConfigResource, ResourceType

from kctl import output
from kctl.client import Cluster
from kctl.completers import complete_groups
from kctl.config_alter import (
    AppendOpt,
    ConfigTarget,
    DeleteOpt,
    DryRunOpt,
    ResourceConfigs,
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
GroupOpt = Annotated[
    str | None,
    typer.Option("--group", "-g", metavar="GROUP", autocompletion=complete_groups,
                 help="A consumer group's own configs (KIP-848: session timeout and "
                      "heartbeat interval)."),
]
LoggerOpt = Annotated[
    int | None,
    typer.Option("--broker-logger", metavar="NODE_ID",
                 help="A broker's loggers and their levels (changed until it restarts)."),
]


def _target(
    cluster: Cluster,
    topic_arg: str | None,
    topic_opt: str | None,
    broker: int | None,
    group: str | None,
    broker_logger: int | None,
) -> ConfigTarget:
    """Whose configs, checked to exist (exit 4 at once rather than a request that times
    out). A group need not exist: as in Kafka, its configs may be set before it forms."""
    topic = given_once(topic_arg, topic_opt)
    if sum(x is not None for x in (topic, broker, group, broker_logger)) != 1:
        fail("give exactly one of TOPIC (or --topic), --broker, --group and --broker-logger",
             ExitCode.USAGE)
    if broker_logger is not None:
        from kctl.logger_configs import BrokerLoggers  # kio loads only for this command

        return BrokerLoggers(cluster, broker_logger)
    if group is not None:
        return ResourceConfigs(cluster, ConfigResource(ResourceType.GROUP, group))
    if topic is not None:
        cluster.topic(topic)
        return ResourceConfigs(cluster, ConfigResource(ResourceType.TOPIC, topic))
    cluster.broker(broker)
    return ResourceConfigs(cluster, ConfigResource(ResourceType.BROKER, str(broker)))


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Describe and change topic, broker, group and broker logger configs.",
                        no_args_is_help=True)

    @group.command("describe")
    @global_options()
    def describe(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic: TopicOpt = None,
        broker: BrokerOpt = None,
        group: GroupOpt = None,
        broker_logger: LoggerOpt = None,
        changed: Annotated[
            bool, typer.Option("--changed", help="Only configs not at their default.")
        ] = False,
    ) -> None:
        """Show configs with their value and where it comes from (SOURCE).

        Sensitive values are shown as *****.

        Examples:
          kctl configs describe orders --changed
          kctl configs describe --broker 1 -o json
          kctl configs describe --group payments
          kctl configs describe --broker-logger 1
        """
        s = settings(ctx)
        values = _target(Cluster(s), topic_arg, topic, broker, group, broker_logger).describe()
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
        group: GroupOpt = None,
        broker_logger: LoggerOpt = None,
        set_: SetOpt = None,
        delete: DeleteOpt = None,
        append: AppendOpt = None,
        subtract: SubtractOpt = None,
        dry_run: DryRunOpt = False,
    ) -> None:
        """Change configs incrementally (IncrementalAlterConfigs); shows current -> new.

        --append/--subtract add or remove items of list configs such as cleanup.policy.
        --dry-run asks the broker to validate the change and applies nothing. A group's
        consumer.session.timeout.ms and consumer.heartbeat.interval.ms are set, or deleted to
        follow the broker's again. A logger's level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)
        is set, or deleted to inherit again.

        Examples:
          kctl configs alter -t orders --set retention.ms=86400000 --dry-run
          kctl configs alter -t orders --append cleanup.policy=compact
          kctl configs alter --broker 1 --set log.retention.ms=604800000
          kctl configs alter -g payments --set consumer.heartbeat.interval.ms=8000
          kctl configs alter --broker-logger 1 --set broker.network=DEBUG
        """
        s = settings(ctx)
        if not dry_run:
            require_writable(s, "alter configs")
        target = _target(Cluster(s), topic_arg, topic, broker, group, broker_logger)
        alter_configs(s.output, target, set_=set_, delete=delete, append=append,
                      subtract=subtract, dry_run=dry_run)

    app.add_typer(group, name="configs")
