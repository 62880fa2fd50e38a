"""`kctl topics`: list, describe, create, delete, alter (configs), add-partitions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic, ResourceType

from kctl import destructive, output
from kctl.client import Cluster, TopicInfo, kafka_error
from kctl.config_alter import (
    AppendOpt,
    DeleteOpt,
    DryRunOpt,
    ResourceConfigs,
    SetOpt,
    SubtractOpt,
    alter_configs,
)
from kctl.console import ExitCode, KctlError, fail
from kctl.name_args import TopicArg, TopicOpt, TopicsArg, TopicsOpt, names, one_name
from kctl.options import Settings, global_options, parse_pairs, require_writable, settings


def _results(futures: dict[str, Any], timeout: float) -> dict[str, KafkaException | None]:
    """Wait for per-topic admin futures: topic -> None (ok) or the exception."""
    out: dict[str, KafkaException | None] = {}
    for name, fut in futures.items():
        try:
            fut.result(timeout)
            out[name] = None
        except KafkaException as e:
            out[name] = e
    return out


def _finish(rows: list[dict[str, Any]], fmt: str, failures: list[KctlError]) -> None:
    """Print per-topic outcomes; exit non-zero when any failed (PARTIAL if some succeeded)."""
    if fmt == "table":
        for r in rows:
            if r["status"] != "failed":
                typer.echo(f"{r['status']} topic {r['topic']}")
    else:
        output.print_rows(rows, fmt)
    if not failures:
        return
    if len(failures) == len(rows):
        if len(failures) == 1:
            raise failures[0]
        fail("; ".join(f.message for f in failures), failures[0].code)
    fail("; ".join(f.message for f in failures), ExitCode.PARTIAL)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="List, inspect, create, change and delete topics.",
                        no_args_is_help=True)

    @group.command("list")
    @global_options()
    def list_topics(
        ctx: typer.Context,
        internal: Annotated[
            bool, typer.Option(
                "--internal", help="Include internal topics (__consumer_offsets, ...)."
            )
        ] = False,
    ) -> None:
        """List topics with their partition count and replication factor.

        Examples:
          kctl topics list
          kctl topics list -o json | jq -r '.[].topic'
        """
        s = settings(ctx)
        topics = Cluster(s).topics(internal=internal)
        rows = [
            {"topic": t.name, "partitions": len(t.partitions),
             "replication_factor": t.replication_factor, "internal": t.internal}
            for t in topics
        ]
        columns = ["topic", "partitions", "replication_factor"] + (["internal"] * internal)
        output.print_rows(rows, s.output, columns=columns)

    @group.command("describe")
    @global_options()
    def describe(
        ctx: typer.Context,
        topic_args: TopicsArg = None,
        topic_opts: TopicsOpt = None,
        under_replicated: Annotated[
            bool,
            typer.Option("--under-replicated", help="Only partitions with ISR < replicas."),
        ] = False,
        unavailable: Annotated[
            bool, typer.Option("--unavailable", help="Only partitions without a leader.")
        ] = False,
    ) -> None:
        """Show each partition: leader, replicas, ISR, log start and end offsets.

        RECORDS is end - start (records currently retained, counting transaction markers).
        Partition sizes are not shown: confluent-kafka's AdminClient has no
        DescribeLogDirs; `kctl log segments TOPIC` shows them where the broker exposes them.

        Examples:
          kctl topics describe orders
          kctl topics describe orders payments --under-replicated -o json
        """
        topics = names(topic_args, topic_opts)
        s = settings(ctx)
        cluster = Cluster(s)
        view = {t.name: t for t in cluster.cluster_view().topics}
        missing = [t for t in topics if t not in view]
        if len(missing) == len(topics):
            fail(f"topic(s) not found: {', '.join(missing)}", ExitCode.NOT_FOUND)
        parts = [p for name in topics if name in view for p in view[name].partitions]
        if under_replicated:
            parts = [p for p in parts if p.under_replicated]
        if unavailable:
            parts = [p for p in parts if p.offline]
        marks = cluster.watermarks((p.topic, p.partition) for p in parts if not p.offline)
        rows = []
        for p in parts:
            low, high = marks.get((p.topic, p.partition), (None, None))
            rows.append({
                "topic": p.topic,
                "partition": p.partition,
                "leader": p.leader if p.leader >= 0 else None,
                "replicas": list(p.replicas),
                "isr": list(p.isr),
                "log_start_offset": low,
                "log_end_offset": high,
                "records": high - low if low is not None and high is not None else None,
                "error": p.error,
            })
        columns = ["topic", "partition", "leader", "replicas", "isr", "log_start_offset",
                   "log_end_offset", "records"]
        if any(r["error"] for r in rows):
            columns.append("error")
        output.print_rows(rows, s.output, columns=columns)
        if missing:  # the topics found are shown; the rest is a partial failure
            fail(f"topic(s) not found: {', '.join(missing)}", ExitCode.PARTIAL)

    @group.command("create")
    @global_options()
    def create(
        ctx: typer.Context,
        topic_args: TopicsArg = None,
        topic_opts: TopicsOpt = None,
        partitions: Annotated[
            int | None,
            typer.Option("--partitions", "-p", min=1, metavar="N",
                         help="Partitions (default: broker's)."),
        ] = None,
        replication_factor: Annotated[
            int | None,
            typer.Option("--replication-factor", "-r", min=1, metavar="R",
                         help="Replicas per partition (default: broker's)."),
        ] = None,
        config: Annotated[
            list[str] | None,
            typer.Option("--config", "-c", metavar="KEY=VALUE",
                         help="Topic config, e.g. -c retention.ms=86400000 (repeatable)."),
        ] = None,
        if_not_exists: Annotated[
            bool, typer.Option("--if-not-exists", help="Succeed if the topic already exists.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Let the broker validate; create nothing.")
        ] = False,
    ) -> None:
        """Create topics.

        Examples:
          kctl topics create orders -p 6 -r 3 -c retention.ms=604800000
          kctl topics create orders --if-not-exists
        """
        topics = names(topic_args, topic_opts)
        s = settings(ctx)
        require_writable(s, "create topics")
        configs = parse_pairs(config or (), "--config")
        cluster = Cluster(s)
        cluster.check_reachable()
        new = [
            NewTopic(name, num_partitions=partitions or -1,
                     replication_factor=replication_factor or -1, config=configs)
            for name in dict.fromkeys(topics)
        ]
        futures = cluster.admin().create_topics(
            new, operation_timeout=cluster.timeout, request_timeout=cluster.timeout,
            validate_only=dry_run,
        )
        rows, failures = [], []
        for name, exc in _results(futures, cluster.timeout).items():
            err = exc.args[0] if exc is not None and exc.args else None
            if exc is None:
                status = "validated" if dry_run else "created"
                rows.append({"topic": name, "status": status, "error": None})
            elif if_not_exists and getattr(err, "code", lambda: None)() == 36:
                rows.append({"topic": name, "status": "exists", "error": None})
            else:
                failure = kafka_error(exc, f"cannot create topic {name!r}")
                if getattr(err, "code", lambda: None)() == 36:
                    failure = KctlError(
                        f"topic {name!r} already exists (use --if-not-exists to accept that)",
                        ExitCode.ERROR,
                    )
                failures.append(failure)
                rows.append({"topic": name, "status": "failed", "error": failure.message})
        _finish(rows, s.output, failures)

    @group.command("delete")
    @global_options()
    def delete(
        ctx: typer.Context,
        topic_args: TopicsArg = None,
        topic_opts: TopicsOpt = None,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Delete without asking.")
        ] = False,
        if_exists: Annotated[
            bool, typer.Option("--if-exists", help="Ignore topics that do not exist.")
        ] = False,
    ) -> None:
        """Delete topics and all their records: shows the plan, then needs --yes.

        Without --yes kctl shows the plan and asks on a terminal; in a script the plan is
        the output (-o json to read it) and the exit code 2. With --yes the output is one
        result per topic: topic, status, error.

        Examples:
          kctl topics delete old-orders            # shows what would go, asks
          kctl topics delete old-orders --yes
        """
        topics = names(topic_args, topic_opts)
        s = settings(ctx)
        if destructive.may_act(yes):
            require_writable(s, "delete topics")
        cluster = Cluster(s)
        view = {t.name: t for t in cluster.cluster_view().topics}
        wanted = list(dict.fromkeys(topics))
        missing = [t for t in wanted if t not in view]
        if missing and not if_exists:
            fail(f"topic(s) not found: {', '.join(missing)}", ExitCode.NOT_FOUND)
        doomed = [view[t] for t in wanted if t in view]
        if not doomed:
            destructive.nothing_to_delete("nothing to delete", s.output)
            return
        destructive.go_ahead(_delete_plan(cluster, doomed), ["topic", "partitions", "records"],
                             s.output, yes=yes, what=f"{len(doomed)} topic(s)")
        futures = cluster.admin().delete_topics(
            [t.name for t in doomed], operation_timeout=cluster.timeout,
            request_timeout=cluster.timeout,
        )
        rows, failures = [], []
        for name, exc in _results(futures, cluster.timeout).items():
            if exc is None:
                rows.append({"topic": name, **destructive.outcome(None)})
            else:
                failure = kafka_error(exc, f"cannot delete topic {name!r}")
                failures.append(failure)
                rows.append({"topic": name, **destructive.outcome(failure.message)})
        _finish(rows, s.output, failures)

    @group.command("alter")
    @global_options()
    def alter(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic_opt: TopicOpt = None,
        set_: SetOpt = None,
        delete: DeleteOpt = None,
        append: AppendOpt = None,
        subtract: SubtractOpt = None,
        partitions: Annotated[
            int | None,
            typer.Option("--partitions", min=1, metavar="N",
                         help="Grow the topic to N partitions instead (kafka-topics.sh's "
                              "--alter --partitions; same as add-partitions --total N)."),
        ] = None,
        dry_run: DryRunOpt = False,
    ) -> None:
        """Change a topic's configs (same as `kctl configs alter --topic TOPIC`).

        Examples:
          kctl topics alter orders --set retention.ms=3600000 --dry-run
          kctl topics alter orders --delete retention.ms
          kctl topics alter orders --partitions 12
        """
        topic = one_name(topic_arg, topic_opt)
        s = settings(ctx)
        if partitions is not None:
            if set_ or delete or append or subtract:
                fail("--partitions grows the topic; change its configs in another command",
                     ExitCode.USAGE)
            _grow(s, topic, partitions, dry_run)
            return
        if not dry_run:
            require_writable(s, "alter topic configs")
        target = ResourceConfigs(Cluster(s), ConfigResource(ResourceType.TOPIC, topic))
        alter_configs(s.output, target, set_=set_, delete=delete, append=append,
                      subtract=subtract, dry_run=dry_run)

    @group.command("add-partitions")
    @global_options()
    def add_partitions(
        ctx: typer.Context,
        total: Annotated[
            int, typer.Option("--total", min=1, metavar="N", help="The partition count afterwards.")
        ],
        topic_arg: TopicArg = None,
        topic_opt: TopicOpt = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Let the broker validate; change nothing.")
        ] = False,
    ) -> None:
        """Grow a topic to --total partitions (partitions can never be removed).

        Keys hash to different partitions afterwards, so per-key ordering across the change
        is lost for keyed topics.

        Example:
          kctl topics add-partitions orders --total 12
        """
        _grow(settings(ctx), one_name(topic_arg, topic_opt), total, dry_run)

    app.add_typer(group, name="topics")


def _grow(s: Settings, topic: str, total: int, dry_run: bool) -> None:
    """Grow ``topic`` to ``total`` partitions (CreatePartitions) and say so."""
    require_writable(s, "add partitions")
    cluster = Cluster(s)
    current = len(cluster.topic(topic).partitions)
    if total <= current:
        fail(f"topic {topic!r} already has {current} partitions; the new count must be more",
             ExitCode.INVALID)
    futures = cluster.admin().create_partitions(
        [NewPartitions(topic, total)], operation_timeout=cluster.timeout,
        request_timeout=cluster.timeout, validate_only=dry_run,
    )
    exc = _results(futures, cluster.timeout)[topic]
    if exc is not None:
        raise kafka_error(exc, f"cannot add partitions to {topic!r}")
    row = {"topic": topic, "partitions_before": current, "partitions_after": total,
           "dry_run": dry_run}
    if s.output == "table":
        verb = "would grow" if dry_run else "grew"
        typer.echo(f"{verb} topic {topic} from {current} to {total} partitions")
    else:
        output.print_rows([row], s.output)


def _delete_plan(cluster: Cluster, doomed: list[TopicInfo]) -> list[dict[str, Any]]:
    """Each topic with its partitions and records (None when an offset is unknown)."""
    marks = cluster.watermarks((p.topic, p.partition) for t in doomed for p in t.partitions)
    rows = []
    for t in doomed:
        spans = [marks.get((t.name, p.partition), (None, None)) for p in t.partitions]
        known = [hi - lo for lo, hi in spans if lo is not None and hi is not None]
        rows.append({"topic": t.name, "partitions": len(t.partitions),
                     "records": sum(known) if len(known) == len(spans) else None})
    return rows
