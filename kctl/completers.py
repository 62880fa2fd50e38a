"""Shell-completion callbacks that ask the cluster for names (topics, groups, transactional
ids).

They run inside a completion request: the global options typed so far are in the parsed
contexts (see ``kctl.options.given``), the cluster gets a short timeout, and any failure
means "no suggestions" -- a completion must never print an error or hang the shell.
"""

from __future__ import annotations

import contextlib
from typing import Any

import typer

COMPLETION_TIMEOUT = 1.5


def _cluster(ctx: typer.Context) -> Any:
    from dataclasses import replace

    from kctl.client import Cluster
    from kctl.options import settings

    s = settings(ctx)
    return Cluster(replace(s, timeout=min(s.timeout or COMPLETION_TIMEOUT, COMPLETION_TIMEOUT)))


def complete_topics(ctx: typer.Context, incomplete: str) -> list[str]:
    """Topic names starting with what was typed (internal topics only if asked for)."""
    with contextlib.suppress(Exception):
        names = [t.name for t in _cluster(ctx).topics(internal=incomplete.startswith("_"))]
        return [n for n in names if n.startswith(incomplete)]
    return []


def complete_groups(ctx: typer.Context, incomplete: str) -> list[str]:
    """Consumer group ids starting with what was typed."""
    with contextlib.suppress(Exception):
        cluster = _cluster(ctx)
        cluster.check_reachable()
        future = cluster.admin().list_consumer_groups(request_timeout=cluster.timeout)
        result = future.result(cluster.timeout)
        return sorted(g.group_id for g in result.valid if g.group_id.startswith(incomplete))
    return []


def complete_transactional_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    """Transactional ids (from every coordinator) starting with what was typed."""
    with contextlib.suppress(Exception):
        from kctl.txn_admin import list_transactions

        listing = list_transactions(_cluster(ctx))
        return sorted({t.transactional_id for t in listing.transactions
                       if t.transactional_id.startswith(incomplete)})
    return []
