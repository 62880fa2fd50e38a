"""`kctl cluster info|health`: brokers, controller, partition health from Metadata."""

from __future__ import annotations

from typing import Any

import typer

from kctl import output
from kctl.client import Cluster, ClusterView
from kctl.console import ExitCode, KctlError
from kctl.options import global_options, settings


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


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Cluster overview and health.", no_args_is_help=True)

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
