"""`kctl perf produce|consume`: throughput and latency, like Kafka's perf-test tools."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from confluent_kafka import KafkaException

from kctl import options, output
from kctl.client import connect, kafka_error
from kctl.commands.produce import ACKS, COMPRESSIONS, producer_settings
from kctl.completers import complete_topics
from kctl.console import ExitCode, fail
from kctl.delivery import parse_rate
from kctl.name_args import TopicOpt, one_name
from kctl.perf_run import PerfFailure, ProducePerf, run_consume, run_produce
from kctl.perf_stats import PerfSummary

CountOpt = Annotated[
    int,
    typer.Option("--num-records", "--count", "-n", metavar="N", min=1,
                 help="Records to send or read (--count as in consume)."),
]


def _print(summary: PerfSummary, fmt: str, what: str) -> None:
    doc = summary.as_dict()

    def table(d: dict[str, Any]) -> None:
        def num(key: str, spec: str = ".2f") -> str:  # None: not measured
            return "-" if d[key] is None else format(d[key], spec)

        print(
            f"{d['records']} records {what} in {d['seconds']:.3f} s: "
            f"{num('records_per_sec', '.1f')} records/s, {num('mb_per_sec')} MB/s; "
            f"latency ms avg {num('latency_avg_ms')}, p50 {num('latency_p50_ms')}, "
            f"p95 {num('latency_p95_ms')}, p99 {num('latency_p99_ms')}, "
            f"max {num('latency_max_ms')}",
            flush=True,
        )

    output.print_doc(doc, fmt, table=table)


def register(app: typer.Typer) -> None:
    perf = typer.Typer(
        help="Load tests: producer and consumer throughput and latency.", no_args_is_help=True
    )
    app.add_typer(perf, name="perf")

    @perf.command("produce")
    @options.global_options()
    def perf_produce(
        ctx: typer.Context,
        topic_arg: Annotated[
            str | None,
            typer.Argument(metavar="TOPIC", show_default=False,
                           help="Topic to write to (must exist; or use -t).",
                           autocompletion=complete_topics),
        ] = None,
        topic_opt: TopicOpt = None,
        num_records: CountOpt = 100_000,
        record_size: Annotated[
            int, typer.Option(
                "--record-size", "-s", metavar="BYTES", min=0,
                help="Value size in bytes.",
            )
        ] = 100,
        throughput: Annotated[
            str | None,
            typer.Option(
                "--throughput",
                "--rate",
                metavar="N/s",
                help="Send at most N records per second (also N/m, N/h; -1: unlimited, "
                "the default).",
            ),
        ] = None,
        acks: Annotated[
            str, typer.Option(
                "--acks", metavar="0|1|all",
                help="0, 1 or all (all enables idempotence).",
            )
        ] = "all",
        batch_size: Annotated[
            int, typer.Option("--batch-size", metavar="BYTES", min=1, help="batch.size in bytes.")
        ] = 16384,
        linger_ms: Annotated[
            float, typer.Option("--linger-ms", metavar="MS", min=0, help="linger.ms.")
        ] = 5,
        compression: Annotated[
            str, typer.Option(
                "--compression", "-z", metavar="CODEC",
                help="none, gzip, snappy, lz4 or zstd.",
            )
        ] = "none",
    ) -> None:
        """Send records as fast as allowed; print records/s, MB/s and latency percentiles.

        Latency is per record, from send to acknowledgement. The first record is sent alone
        and acknowledged before the clock starts, so producer start-up is not measured.
        Rates over less than 1 ms are not given (-, JSON null). Ctrl-C or SIGTERM stops
        sending: records already sent are delivered and the summary printed (exit 130, 143).
        Example: kctl perf produce bench -n 200000 -s 100 --acks 1
        """
        topic = one_name(topic_arg, topic_opt)
        s = options.settings(ctx)
        if acks not in ACKS:
            fail(f"--acks must be one of {', '.join(ACKS)}", ExitCode.USAGE)
        if compression not in COMPRESSIONS:
            fail(f"--compression must be one of {', '.join(COMPRESSIONS)}", ExitCode.USAGE)
        per_second = -1.0
        if throughput is not None and throughput.strip() != "-1":
            try:
                per_second = parse_rate(throughput)
            except ValueError as e:
                fail(str(e), ExitCode.USAGE)
        options.require_writable(s, "produce")
        cluster = connect(s)
        cluster.topic(topic)
        conf = cluster.config(
            **{**producer_settings(acks, compression),
               "batch.size": batch_size, "linger.ms": linger_ms}
        )
        spec = ProducePerf(topic, num_records, record_size, per_second)
        try:
            run = run_produce(conf, spec, flush_timeout=max(cluster.timeout, 60.0))
        except PerfFailure as e:
            fail(str(e), ExitCode.ERROR)
        except KafkaException as e:
            raise kafka_error(e, "perf produce") from e
        _print(run.summary, s.output, "produced")
        if run.stopped is not None:
            raise typer.Exit(run.stopped)

    @perf.command("consume")
    @options.global_options()
    def perf_consume(
        ctx: typer.Context,
        topic_arg: Annotated[
            str | None,
            typer.Argument(metavar="TOPIC", show_default=False,
                           help="Topic to read from the beginning (or use -t).",
                           autocompletion=complete_topics),
        ] = None,
        topic_opt: TopicOpt = None,
        num_records: CountOpt = 100_000,
        idle_timeout: Annotated[
            float,
            typer.Option(
                "--idle-timeout",
                metavar="SECONDS",
                min=0.1,
                help="Stop early after this many seconds without a record.",
            ),
        ] = 5.0,
    ) -> None:
        """Read records from the beginning; print records/s, MB/s and end-to-end latency.

        Latency is now minus each record's timestamp: meaningful while records are being
        produced (e.g. alongside `kctl perf produce`). The clock starts at the first record,
        so rates count the records after it; over less than 1 ms (-n 1) they are not given
        (-, JSON null). Fewer records than -n (the topic ran dry for --idle-timeout) prints
        the figures for those read and exits 3 (partial); Ctrl-C or SIGTERM prints them and
        exits 130 or 143.
        """
        topic = one_name(topic_arg, topic_opt)
        s = options.settings(ctx)
        cluster = connect(s)
        cluster.topic(topic)
        try:
            run = run_consume(
                cluster.config(), topic, num_records, cluster.timeout, idle_timeout
            )
        except KafkaException as e:
            raise kafka_error(e, "perf consume") from e
        summary = run.summary
        if run.stopped is not None:  # Ctrl-C or SIGTERM: the figures so far, then 130/143
            _print(summary, s.output, "consumed")
            raise typer.Exit(run.stopped)
        if summary.records == 0:
            fail(f"no records read from {topic!r} within {idle_timeout:g}s", ExitCode.ERROR)
        _print(summary, s.output, "consumed")
        if summary.records < num_records:
            fail(
                f"only {summary.records} of {num_records} record(s) read from {topic!r}: "
                f"none arrived for {idle_timeout:g}s",
                ExitCode.PARTIAL,
            )
