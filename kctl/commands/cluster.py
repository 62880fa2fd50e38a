"""`kctl cluster info|health|quorum`: brokers, controller, partition health from Metadata;
the KRaft metadata quorum from DescribeQuorum."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer

from kctl import output
from kctl.client import Cluster, ClusterView
from kctl.console import ExitCode, KctlError
from kctl.options import global_options, settings

if TYPE_CHECKING:
    from kctl.quorum_admin import Quorum

REPLICA_COLUMNS = ["node_id", "status", "log_end_offset", "lag", "last_fetch_ago_ms",
                   "last_caught_up_ago_ms", "endpoints"]


def summary(view: ClusterView) -> dict[str, Any]:
    """The facts `info` prints and `health` judges (all from one Metadata response)."""
    parts = [p for t in view.topics for p in t.partitions]
    return {
        "cluster_id": view.cluster_id,
        "controller_id": view.controller_id if view.controller_id >= 0 else None,
        "brokers": [{"node_id": b.node_id, "host": b.host, "port": b.port,
                     "controller": b.node_id == view.controller_id} for b in view.brokers],
        "topics": len(view.topics),
        "internal_topics": sum(t.internal for t in view.topics),
        "partitions": len(parts),
        "under_replicated_partitions": [
            {"topic": p.topic, "partition": p.partition} for p in parts if p.under_replicated
        ],
        "offline_partitions": [
            {"topic": p.topic, "partition": p.partition} for p in parts if p.offline
        ],
    }


def checks(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Health checks as rows: check, ok, detail."""

    def named(items: list[dict[str, Any]]) -> str:
        shown = ", ".join(f"{i['topic']}:{i['partition']}" for i in items[:10])
        return shown + (f" and {len(items) - 10} more" if len(items) > 10 else "")

    under, offline = info["under_replicated_partitions"], info["offline_partitions"]
    return [
        {"check": "brokers", "ok": bool(info["brokers"]),
         "detail": f"{len(info['brokers'])} broker(s) in metadata"},
        {"check": "controller", "ok": info["controller_id"] is not None,
         "detail": f"node {info['controller_id']}" if info["controller_id"] is not None
         else "no active controller"},
        {"check": "offline_partitions", "ok": not offline,
         "detail": named(offline) if offline else "none"},
        {"check": "under_replicated_partitions", "ok": not under,
         "detail": named(under) if under else "none"},
    ]


def quorum_doc(q: Quorum, now_ms: int) -> dict[str, Any]:
    """What `quorum` prints: kafka-metadata-quorum's status and replication views in one."""
    leader = next((r for r in q.replicas if r.status == "Leader"), None)
    leader_end = leader.log_end_offset if leader is not None else q.high_watermark

    def lag(end: int) -> int:
        return leader_end - max(end, 0)  # an unknown end (-1): nothing known to be there

    def ago(ms: int | None) -> int | None:
        return None if ms is None else max(now_ms - ms, 0)

    voters = [r for r in q.replicas if r.status != "Observer"]
    worst = max(voters, key=lambda r: lag(r.log_end_offset), default=None)
    lag_ms: int | None = 0
    if worst is not None and worst is not leader and lag(worst.log_end_offset) > 0:
        # how far behind in time: when the leader last caught up ("now") and the follower did
        lead_ms = None if leader is None else leader.last_caught_up_ms
        follow_ms = worst.last_caught_up_ms
        lag_ms = None if lead_ms is None or follow_ms is None else lead_ms - follow_ms
    return {
        "leader_id": q.leader_id,
        "leader_epoch": q.leader_epoch,
        "high_watermark": q.high_watermark,
        "max_follower_lag": 0 if worst is None else lag(worst.log_end_offset),
        "max_follower_lag_ms": lag_ms,
        "voters": [r.node_id for r in voters],
        "observers": [r.node_id for r in q.replicas if r.status == "Observer"],
        "replicas": [
            {"node_id": r.node_id, "status": r.status, "directory_id": r.directory_id,
             "log_end_offset": r.log_end_offset if r.log_end_offset >= 0 else None,
             "lag": lag(r.log_end_offset),
             "last_fetch_ms": r.last_fetch_ms, "last_fetch_ago_ms": ago(r.last_fetch_ms),
             "last_caught_up_ms": r.last_caught_up_ms,
             "last_caught_up_ago_ms": ago(r.last_caught_up_ms), "endpoints": r.endpoints}
            for r in q.replicas
        ],
    }


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Cluster overview, health and metadata quorum.", no_args_is_help=True)

    @group.command("info")
    @global_options()
    def info_cmd(ctx: typer.Context) -> None:
        """Cluster id, controller, brokers, topic and partition counts, problem partitions.

        Examples:
          kctl cluster info
          kctl cluster info -o json | jq .controller_id
        """
        s = settings(ctx)
        doc = summary(Cluster(s).cluster_view())
        output.print_doc(doc, s.output, table=_info_table)

    @group.command("health")
    @global_options()
    def health(ctx: typer.Context) -> None:
        """Check the cluster; exit 8 if anything is unhealthy, 5 if it is unreachable.

        Healthy means: at least one broker, an active controller, no offline partitions
        (no leader) and no under-replicated partitions (ISR smaller than the replica set).

        Example:
          kctl cluster health && echo ok
        """
        s = settings(ctx)
        rows = checks(summary(Cluster(s).cluster_view()))
        if s.output == "table":
            output.print_table(
                [{**r, "ok": "ok" if r["ok"] else "FAIL"} for r in rows],
                ["check", "ok", "detail"],
            )
        else:
            output.print_doc({"healthy": all(r["ok"] for r in rows), "checks": rows},
                             s.output, table=lambda _: None)
        bad = [r["check"] for r in rows if not r["ok"]]
        if bad:
            raise KctlError(f"cluster unhealthy: {', '.join(bad)}", ExitCode.UNHEALTHY)

    @group.command("quorum")
    @global_options()
    def quorum(ctx: typer.Context) -> None:
        """The KRaft metadata quorum: leader, epoch, high watermark, and each voter and
        observer with its lag (what kafka-metadata-quorum.sh describes).

        Needs DescribeQuorum (Kafka 3.3+ in KRaft mode): exit 9 without it, 6 without
        Describe on the cluster.

        Examples:
          kctl cluster quorum
          kctl cluster quorum -o json | jq .max_follower_lag
        """
        from kctl import quorum_admin  # with kio: loaded only when this command runs

        s = settings(ctx)
        doc = quorum_doc(quorum_admin.describe(Cluster(s)), int(time.time() * 1000))
        output.print_doc(doc, s.output, table=_quorum_table)

    app.add_typer(group, name="cluster")


def _info_table(doc: dict[str, Any]) -> None:
    facts = [
        {"field": "cluster id", "value": doc["cluster_id"]},
        {"field": "controller", "value": doc["controller_id"]},
        {"field": "brokers", "value": len(doc["brokers"])},
        {"field": "topics", "value": f"{doc['topics']} ({doc['internal_topics']} internal)"},
        {"field": "partitions", "value": doc["partitions"]},
        {"field": "under-replicated", "value": len(doc["under_replicated_partitions"])},
        {"field": "offline", "value": len(doc["offline_partitions"])},
    ]
    output.print_table(facts, ["field", "value"])
    typer.echo()
    output.print_table(doc["brokers"], ["node_id", "host", "port", "controller"])


def _quorum_table(doc: dict[str, Any]) -> None:
    facts = [
        {"field": "leader", "value": doc["leader_id"]},
        {"field": "leader epoch", "value": doc["leader_epoch"]},
        {"field": "high watermark", "value": doc["high_watermark"]},
        {"field": "max follower lag", "value": doc["max_follower_lag"]},
        {"field": "max follower lag ms", "value": doc["max_follower_lag_ms"]},
        {"field": "voters", "value": doc["voters"]},
        {"field": "observers", "value": doc["observers"]},
    ]
    output.print_table(facts, ["field", "value"])
    typer.echo()
    output.print_table(doc["replicas"], REPLICA_COLUMNS)
