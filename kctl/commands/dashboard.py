"""`kctl tui` / `kctl dashboard` (the live dashboard) and `kctl demo` (broker + traffic + it).

Textual is imported only inside these commands, so every other command starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kctl.options import global_options, settings

IntervalOpt = Annotated[
    float,
    typer.Option("--interval", "-i", min=0.2, metavar="SECONDS",
                 help="Seconds between refreshes (p pauses)."),
]
AdminUrlOpt = Annotated[
    str | None,
    typer.Option("--admin-url", envvar="KCTL_ADMIN_URL", metavar="URL",
                 help="The broker's admin HTTP address, for the segments panel."),
]


def _run_dashboard(ctx: typer.Context, interval: float, admin_url: str | None,
                   subtitle: str | None = None) -> None:
    from kctl.client import Cluster
    from tui.app import DashboardApp

    DashboardApp(Cluster(settings(ctx)), interval=interval, admin_url=admin_url,
                 subtitle=subtitle).run()


def register(app: typer.Typer) -> None:
    def tui(
        ctx: typer.Context,
        interval: IntervalOpt = 2.0,
        admin_url: AdminUrlOpt = None,
        demo: Annotated[
            bool, typer.Option("--demo", help="Same as `kctl demo`: local broker and traffic."),
        ] = False,
    ) -> None:
        """Live dashboard: brokers, topics, partitions, consumer lag, message tail.

        Keys: 1/2/3 tabs, enter opens a topic, t tails it, p pauses, d dark/light, ? help.

        Examples:
          kctl tui -b 127.0.0.1:9092
          kctl dashboard --interval 1 --admin-url http://127.0.0.1:9644
        """
        if demo:
            _demo(ctx, interval, admin_url, None)
        else:
            _run_dashboard(ctx, interval, admin_url)

    app.command("tui")(global_options(output=False)(tui))
    app.command("dashboard")(global_options(output=False)(tui))

    @app.command("demo")
    @global_options(output=False)
    def demo(
        ctx: typer.Context,
        interval: IntervalOpt = 1.0,
        admin_url: AdminUrlOpt = None,
        data_dir: Annotated[
            Path | None,
            typer.Option("--data-dir", metavar="DIR",
                         help="Keep the demo broker's data here (default: a "
                         "temporary directory, removed on exit)."),
        ] = None,
    ) -> None:
        """First run: a local broker (if none answers), sample traffic, and the dashboard.

        Starts `python -m broker` on the bootstrap address when nothing listens there,
        creates the topics orders, payments, user-signups and driver-location, produces
        keyed JSON events, runs the consumer group order-analytics that falls behind and
        catches up, and opens the dashboard. Quitting (q or Ctrl-C) stops the traffic and
        the broker it started; a broker that was already running is left alone.

        Example: kctl demo
        """
        _demo(ctx, interval, admin_url, data_dir)


def _demo(ctx: typer.Context, interval: float, admin_url: str | None,
          data_dir: Path | None) -> None:
    from kctl.demo import Demo

    s = settings(ctx)
    with Demo(s, data_dir=data_dir, status=typer.echo) as d:
        note = "demo, broker started by kctl" if d.started_broker else "demo"
        _run_dashboard(ctx, interval, admin_url or d.admin_url, f"{s.bootstrap} ({note})")
