"""`kctl transactions list|describe|producers|find-hanging`: what kafka-transactions.sh shows.

Transactional ids with their coordinators and states, one id's open transaction, the
producers a partition's log knows, and transactions no coordinator will finish.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kctl import options, output
from kctl.client import Cluster, connect
from kctl.completers import complete_transactional_ids
from kctl.console import ExitCode, KctlError, fail, warn
from kctl.name_args import TopicArg, TopicOpt, given_once, one_name

if TYPE_CHECKING:
    from kctl import txn_admin
    from kctl.txn_wire import Description, ProducerInfo

TxnIdsArg = Annotated[
    list[str],
    typer.Argument(metavar="TXN_ID", help="Transactional id(s).", show_default=False,
                   autocompletion=complete_transactional_ids),
]
PartitionsOpt = Annotated[
    list[int] | None,
    typer.Option("--partition", "-p", min=0, metavar="P",
                 help="Only this partition (repeatable; default: all)."),
]
LIST_COLUMNS = ["transactional_id", "coordinator", "producer_id", "state"]
DESCRIBE_COLUMNS = ["transactional_id", "coordinator", "state", "producer_id", "producer_epoch",
                    "timeout_ms", "start_time", "duration_ms", "partitions"]
PRODUCER_COLUMNS = ["topic", "partition", "producer_id", "producer_epoch", "last_sequence",
                    "last_timestamp", "coordinator_epoch", "current_txn_start_offset"]
HANGING_COLUMNS = ["topic", "partition", "producer_id", "producer_epoch", "coordinator_epoch",
                   "start_offset", "last_timestamp", "duration_min"]
# states of a transaction that is open (Kafka's names, as DescribeTransactions answers them)
OPEN_STATES = frozenset({"Ongoing", "PrepareCommit", "PrepareAbort"})
DEFAULT_MAX_TIMEOUT_MIN = 15  # Kafka's transaction.max.timeout.ms default, as its tool uses


def _now_ms() -> int:
    return int(time.time() * 1000)


def _time(ms: int) -> str | None:
    """Milliseconds since the epoch as ISO-8601 UTC; None for -1 (none)."""
    if ms < 0:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _exit_for(errors: list[KctlError], total: int) -> None:
    """Fail after printing what was found: partial (3), or the one failure's code if all
    failed alike."""
    if not errors:
        return
    message = "; ".join(e.message for e in errors)
    if len(errors) < total:
        fail(message, ExitCode.PARTIAL)
    codes = {e.code for e in errors}
    fail(message, codes.pop() if len(codes) == 1 else ExitCode.ERROR)


def _describe_doc(tid: str, d: txn_admin.Described, now_ms: int) -> dict[str, Any]:
    t = d.description
    start = t.start_ms if t.start_ms >= 0 else None
    # Kafka keeps the last transaction's start time once it completed: a duration only
    # means something while one is open.
    running = start is not None and t.state in OPEN_STATES
    return {
        "transactional_id": tid,
        "coordinator": d.coordinator,
        "state": t.state,
        "producer_id": t.producer_id,
        "producer_epoch": t.producer_epoch,
        "timeout_ms": t.timeout_ms,
        "start_time_ms": start,
        "start_time": _time(t.start_ms),
        "duration_ms": max(now_ms - start, 0) if running else None,
        "partitions": [{"topic": topic, "partition": p} for topic, p in t.partitions],
    }


def _describe_table(docs: list[dict[str, Any]]) -> None:
    rows = [{**d, "partitions": [f"{p['topic']}:{p['partition']}" for p in d["partitions"]]}
            for d in docs]
    output.print_rows(rows, "table", columns=DESCRIBE_COLUMNS)


def _producer_row(topic: str, partition: int, p: ProducerInfo) -> dict[str, Any]:
    return {
        "topic": topic,
        "partition": partition,
        "producer_id": p.producer_id,
        "producer_epoch": p.producer_epoch,
        "last_sequence": p.last_sequence,
        "last_timestamp_ms": p.last_timestamp,
        "last_timestamp": _time(p.last_timestamp),
        "coordinator_epoch": p.coordinator_epoch,
        "current_txn_start_offset": p.txn_start_offset if p.txn_start_offset >= 0 else None,
    }


def _partitions(cluster: Cluster, topic: str, wanted: list[int] | None) -> list[tuple[str, int]]:
    info = cluster.topic(topic)  # a missing topic: exit 4
    if wanted:
        return [(topic, p) for p in dict.fromkeys(wanted)]
    return [(topic, p.partition) for p in info.partitions]


def register(app: typer.Typer) -> None:
    txns = typer.Typer(
        help="Transactions: list ids, describe one, a partition's producers, hanging ones.",
        no_args_is_help=True,
    )
    app.add_typer(txns, name="transactions")

    @txns.command("list")
    @options.global_options()
    def list_(
        ctx: typer.Context,
        state: Annotated[
            list[str] | None,
            typer.Option("--state", metavar="STATE",
                         help="Only ids in this state, e.g. Ongoing, PrepareCommit, "
                              "CompleteAbort, Empty (repeatable)."),
        ] = None,
        producer_id: Annotated[
            list[int] | None,
            typer.Option("--producer-id", metavar="N", min=0,
                         help="Only this producer id (repeatable)."),
        ] = None,
        duration_ms: Annotated[
            int | None,
            typer.Option("--duration-ms", metavar="MS", min=0,
                         help="Only transactions open at least this long (needs "
                              "ListTransactions v1, Kafka 3.8+)."),
        ] = None,
    ) -> None:
        """Every transactional id with its coordinator, producer id and state.

        Each broker answers for the ids it coordinates, so every broker is asked. A broker
        that cannot answer is named on stderr and the others are still shown (exit 3).
        """
        from kctl import txn_admin  # with kio: loaded only when a transactions command runs
        from kctl.txn_wire import NO_DURATION

        s = options.settings(ctx)
        cluster = connect(s)
        result = txn_admin.list_transactions(
            cluster, state or (), producer_id or (),
            NO_DURATION if duration_ms is None else duration_ms)
        for name in sorted(result.unknown_states):
            warn(f"unknown transaction state {name!r} (the coordinators match none)")
        rows = [
            {"transactional_id": t.transactional_id, "coordinator": t.coordinator,
             "producer_id": t.producer_id, "state": t.state}
            for t in result.transactions
        ]
        if len(result.failures) < result.brokers:  # nothing before the error if none answered
            output.print_rows(rows, s.output, columns=LIST_COLUMNS)
        _exit_for(result.failures, result.brokers)

    @txns.command("describe")
    @options.global_options()
    def describe(ctx: typer.Context, ids: TxnIdsArg) -> None:
        """State, producer id and epoch, timeout, start time and partitions of transactions.

        Each id is asked of its coordinator. Ids that do not exist are named on stderr and
        the others still shown (exit 3, or 4 when none exists).
        """
        from kctl import txn_admin

        s = options.settings(ctx)
        cluster = connect(s)
        now = _now_ms()
        found = txn_admin.describe(cluster, ids)
        docs = [_describe_doc(tid, d, now) for tid, d in found.items()
                if isinstance(d, txn_admin.Described)]
        errors = [e for e in found.values() if isinstance(e, KctlError)]
        if docs:
            doc: Any = docs if len(found) > 1 else docs[0]
            output.print_doc(doc, s.output, table=lambda _: _describe_table(docs))
        _exit_for(errors, len(found))

    @txns.command("producers")
    @options.global_options()
    def producers(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic_opt: TopicOpt = None,
        partition: PartitionsOpt = None,
        broker: Annotated[
            int | None,
            typer.Option("--broker", metavar="N", min=0,
                         help="Ask this replica instead of each partition's leader."),
        ] = None,
    ) -> None:
        """The producers each partition's log knows: epoch, last sequence and timestamp,
        coordinator epoch, and the start offset of an open transaction.

        Example: kctl transactions producers orders -p 0
        """
        from kctl import txn_admin

        topic = one_name(topic_arg, topic_opt)
        s = options.settings(ctx)
        cluster = connect(s)
        tps = _partitions(cluster, topic, partition)
        found = txn_admin.producers(cluster, tps, broker)
        rows = [_producer_row(t, p, info) for (t, p), infos in found.items()
                if not isinstance(infos, KctlError) for info in infos]
        errors = [e for e in found.values() if isinstance(e, KctlError)]
        if rows or len(errors) < len(found):
            output.print_rows(rows, s.output, columns=PRODUCER_COLUMNS)
        _exit_for(errors, len(found))

    @txns.command("find-hanging")
    @options.global_options()
    def find_hanging(
        ctx: typer.Context,
        topic_arg: TopicArg = None,
        topic_opt: TopicOpt = None,
        partition: PartitionsOpt = None,
        broker: Annotated[
            int | None,
            typer.Option("--broker", metavar="N", min=0,
                         help="Search every partition with a replica on this broker."),
        ] = None,
        max_timeout: Annotated[
            int,
            typer.Option("--max-transaction-timeout", metavar="MINUTES", min=0,
                         help="The brokers' transaction.max.timeout.ms in minutes: open "
                              "transactions idle longer are candidates."),
        ] = DEFAULT_MAX_TIMEOUT_MIN,
    ) -> None:
        """Open transactions that no coordinator will finish (they hold back read_committed
        consumers): idle longer than the maximum transaction timeout, and their producer's
        transactional id unknown or no longer counting the partition.

        Give --broker N, a topic, or both. Example: kctl transactions find-hanging --broker 1
        """
        topic = given_once(topic_arg, topic_opt)
        if topic is None and broker is None:
            fail("say where to search: --broker N and/or TOPIC", ExitCode.USAGE)
        if partition and topic is None:
            fail("-p/--partition needs a topic", ExitCode.USAGE)
        s = options.settings(ctx)
        cluster = connect(s)
        rows, errors, total = _find_hanging(cluster, topic, partition, broker, max_timeout)
        if len(errors) < total or not total:
            output.print_rows(rows, s.output, columns=HANGING_COLUMNS)
        _exit_for(errors, total)


def _find_hanging(
    cluster: Cluster, topic: str | None, partitions: list[int] | None, broker: int | None,
    max_timeout_min: int,
) -> tuple[list[dict[str, Any]], list[KctlError], int]:
    """The hanging transactions as rows, the partitions that could not be searched, and how
    many partitions were searched in all."""
    from kctl import hanging_txn, txn_admin

    if topic is not None:
        tps = _partitions(cluster, topic, partitions)
        if broker is not None:
            replicas = {(p.topic, p.partition) for p in cluster.topic(topic).partitions
                        if broker in p.replicas}
            tps = [tp for tp in tps if tp in replicas]
    else:
        view = cluster.cluster_view()
        tps = [(p.topic, p.partition) for t in view.topics for p in t.partitions
               if broker in p.replicas]
    found = txn_admin.producers(cluster, tps, broker)
    errors = [e for e in found.values() if isinstance(e, KctlError)]
    known = {tp: v for tp, v in found.items() if not isinstance(v, KctlError)}
    now = _now_ms()
    open_txns = hanging_txn.candidates(known, now, max_timeout_min * 60_000)
    ids: dict[int, str] = {}
    descriptions: dict[str, Description] = {}
    if open_txns:
        pids = sorted({t.producer.producer_id for t in open_txns})
        listing = txn_admin.list_transactions(cluster, producer_ids=pids)
        if listing.failures:  # an unanswered coordinator could hold any of them
            fail("; ".join(e.message for e in listing.failures), listing.failures[0].code)
        ids = {t.producer_id: t.transactional_id for t in listing.transactions}
        for tid, d in txn_admin.describe(cluster, sorted(set(ids.values()))).items():
            if isinstance(d, txn_admin.Described):
                descriptions[tid] = d.description
            elif d.code is not ExitCode.NOT_FOUND:
                raise d
    rows = [
        {"topic": t.topic, "partition": t.partition, "producer_id": t.producer.producer_id,
         "producer_epoch": t.producer.producer_epoch,
         "coordinator_epoch": t.producer.coordinator_epoch,
         "start_offset": t.producer.txn_start_offset,
         "last_timestamp": _time(t.producer.last_timestamp),
         "last_timestamp_ms": t.producer.last_timestamp,
         "duration_min": t.idle_ms(now) // 60_000}
        for t in hanging_txn.hanging(open_txns, ids, descriptions)
    ]
    return rows, errors, len(found)
