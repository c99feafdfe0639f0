"""`feedline services up|down|status` (the local Redis and Neo4j of ops/services.py) and `feedline run` (the
demo of ops/launcher.py): commands of `feedline` (feedline/cli.py) that belong to the operations tools."""

from __future__ import annotations

import dataclasses
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from feedline.settings import get_settings
from ops import services as local_services

console = Console()
services_app = typer.Typer(
    help="Local Redis and Neo4j on loopback (state under .feedline/).", no_args_is_help=True
)

TestSlot = Annotated[
    int | None,
    typer.Option("--test-slot", help="Act on the private services of a pytest session (0..9) instead."),
]


RedisClusterOption = Annotated[
    bool,
    typer.Option(
        "--redis-cluster",
        help="A local Redis Cluster (3 primaries + 3 replicas) instead of one Redis server "
        "(the default: FEEDLINE_REDIS_CLUSTER).",
    ),
]


def plan_for(test_slot: int | None, redis_cluster: bool = False) -> local_services.ServicePlan:
    if test_slot is not None:
        return local_services.ServicePlan.for_test_slot(test_slot, redis_cluster=redis_cluster)
    plan = local_services.ServicePlan.from_settings(get_settings())
    return dataclasses.replace(plan, redis_cluster=True) if redis_cluster else plan


def _log(message: str) -> None:
    console.print(f"[dim]·[/dim] {message}")


@services_app.command("up")
def services_up(test_slot: TestSlot = None, redis_cluster: RedisClusterOption = False) -> None:
    """Install (if needed) and start Redis (or a local Redis Cluster) and Neo4j. Safe to run twice."""
    plan = plan_for(test_slot, redis_cluster)
    started_at = time.monotonic()
    try:
        with console.status("starting Redis and Neo4j…"):
            started = local_services.up(plan, log=_log)
    except local_services.ServiceError as error:
        console.print(f"[red]services up failed:[/red] {error}")
        raise typer.Exit(1) from error
    for name, now in started.items():
        console.print(f"{name}: {'started' if now else 'already running'}")
    console.print(f"[green]ready[/green] in {time.monotonic() - started_at:.1f}s")
    _print_status(plan)


@services_app.command("down")
def services_down(test_slot: TestSlot = None, redis_cluster: RedisClusterOption = False) -> None:
    """Stop the Redis (and with --redis-cluster the cluster's nodes) and Neo4j that `services up` started."""
    for name, was_running in local_services.down(plan_for(test_slot, redis_cluster)).items():
        console.print(f"{name}: {'stopped' if was_running else 'was not running'}")


@services_app.command("status")
def services_status(test_slot: TestSlot = None, redis_cluster: RedisClusterOption = False) -> None:
    """Show whether our Redis and Neo4j run, with their ports."""
    _print_status(plan_for(test_slot, redis_cluster))


def _print_status(plan: local_services.ServicePlan) -> None:
    table = Table("service", "pid", "port", "answering", "url")
    for item in local_services.status(plan):
        table.add_row(
            item.name,
            str(item.pid or "-"),
            str(item.port),
            "[green]yes[/green]" if item.answering else "[red]no[/red]",
            item.url,
        )
    console.print(table)


def run_demo_command(
    keep_services: Annotated[
        bool, typer.Option(help="Leave Redis and Neo4j running after Ctrl-C (faster next start).")
    ] = False,
) -> None:
    """Everything for a demo: services, schema, demo data, API and worker, until Ctrl-C."""
    from ops.launcher import run_demo

    run_demo(get_settings(), keep_services=keep_services, console=console)
