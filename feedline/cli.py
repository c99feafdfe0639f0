"""The `feedline` command: local services, the API, the fan-out worker, seeding, benchmarks, the schema.

Each command reads the settings once and hands plain values inward; heavy imports happen inside the
commands so `feedline services status` stays instant.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from feedline.settings import PROJECT_ROOT, Settings, get_settings
from ops import services as local_services

app = typer.Typer(
    help="Feedline: a hybrid fan-out home-feed service.", no_args_is_help=True, add_completion=False
)
services_app = typer.Typer(
    help="Local Redis and Neo4j on loopback (state under .feedline/).", no_args_is_help=True
)
app.add_typer(services_app, name="services")
console = Console()

TestSlot = Annotated[
    int | None,
    typer.Option("--test-slot", help="Act on the private services of a pytest session (0..9) instead."),
]


def _plan(test_slot: int | None) -> local_services.ServicePlan:
    if test_slot is not None:
        return local_services.ServicePlan.for_test_slot(test_slot)
    return local_services.ServicePlan.from_settings(get_settings())


def _log(message: str) -> None:
    console.print(f"[dim]·[/dim] {message}")


@services_app.command("up")
def services_up(test_slot: TestSlot = None) -> None:
    """Install (if needed) and start Redis and Neo4j. Safe to run twice."""
    plan = _plan(test_slot)
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
def services_down(test_slot: TestSlot = None) -> None:
    """Stop the Redis and Neo4j that `services up` started (nothing else)."""
    for name, was_running in local_services.down(_plan(test_slot)).items():
        console.print(f"{name}: {'stopped' if was_running else 'was not running'}")


@services_app.command("status")
def services_status(test_slot: TestSlot = None) -> None:
    """Show whether our Redis and Neo4j run, with their ports."""
    _print_status(_plan(test_slot))


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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: FEEDLINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: FEEDLINE_PORT).")] = None,
) -> None:
    """Run the API: GraphQL over HTTP and websockets, GraphiQL, the web client, health and metrics."""
    import uvicorn

    from feedline.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        loop="uvloop",
        http="httptools",
        ws="websockets",
        log_level="info",
        access_log=False,
        lifespan="on",
    )


@app.command()
def worker() -> None:
    """Run a fan-out worker (several may run side by side; SIGTERM finishes the current page)."""
    import asyncio

    from feedline.worker import run_worker

    asyncio.run(run_worker(get_settings()))


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL) the API serves."""
    from resolvers.schema import print_sdl

    typer.echo(print_sdl(), nl=False)


@app.command()
def seed(
    preset: Annotated[
        str, typer.Option(help="demo | medium | custom (with --users/--avg-follows).")
    ] = "demo",
    users: Annotated[int | None, typer.Option(help="Number of users (custom preset).")] = None,
    avg_follows: Annotated[int | None, typer.Option(help="Average follows per user (custom preset).")] = None,
    celebrities: Annotated[
        int | None, typer.Option(help="Accounts pushed above the celebrity threshold.")
    ] = None,
    random_seed: Annotated[
        int, typer.Option("--seed", help="Random seed (the world is deterministic).")
    ] = 42,
) -> None:
    """Generate a deterministic social graph with a power-law follower distribution."""
    from seed import run_seed_cli

    run_seed_cli(get_settings(), preset, users, avg_follows, celebrities, random_seed)


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="A seconds-long run (used by the test suite).")] = False,
    out_dir: Annotated[Path, typer.Option(help="Where REPORT.md, results.json and plots go.")] = PROJECT_ROOT
    / "bench",
    keep_services: Annotated[bool, typer.Option(help="Leave the benchmark's services running.")] = False,
    fanout_only: Annotated[
        bool,
        typer.Option(help="Only the fan-out scenario (1K/10K/50K followers vs the ZADD ceiling); prints it."),
    ] = False,
) -> None:
    """Run every benchmark scenario on private services and write the report with plots."""
    from bench import run_bench_cli

    run_bench_cli(
        get_settings(), quick=quick, out_dir=out_dir, keep_services=keep_services, fanout_only=fanout_only
    )


@app.command()
def soak(
    minutes: Annotated[float, typer.Option(help="How long the mixed load runs.")] = 10.0,
    users: Annotated[int, typer.Option(help="Users in the soak's world (a fifth of them post).")] = 250,
    subscribers: Annotated[int, typer.Option(help="Live clients (resubscribing with `after`).")] = 200,
    chaos: Annotated[bool, typer.Option(help="Inject a random fault every --chaos-every seconds.")] = False,
    chaos_every: Annotated[float, typer.Option(help="Seconds between faults.")] = 30.0,
    test_slot: TestSlot = None,
    out_dir: Annotated[Path, typer.Option(help="Where SOAK.md, soak.json and the plot go.")] = PROJECT_ROOT
    / "bench",
) -> None:
    """Bounded mixed load with an optional chaos schedule; reports lost/duplicated live events, oracle
    mismatches, errors by code and memory over time. Runs on the local services (or a test slot's):
    its chaos flushes and restarts that Redis."""
    import asyncio

    from bench.soak import run_soak

    plan = _plan(test_slot)
    local_services.up(plan, log=_log)
    result = asyncio.run(
        run_soak(
            plan.settings(get_settings()), plan, minutes=minutes, users=users, subscribers=subscribers,
            chaos=chaos, chaos_every_s=chaos_every, out=out_dir, log=_log,
        )
    )  # fmt: skip
    summary = {k: result[k] for k in ("live_delivered", "live_lost", "live_duplicated", "oracle_mismatches")}
    typer.echo(f"soak: {summary}; errors {result['errors']}; report in {out_dir / 'SOAK.md'}")


@app.command()
def run(
    keep_services: Annotated[
        bool, typer.Option(help="Leave Redis and Neo4j running after Ctrl-C (faster next start).")
    ] = False,
) -> None:
    """Everything for a demo: services, schema, demo data, API and worker, until Ctrl-C."""
    from ops.launcher import run_demo

    run_demo(get_settings(), keep_services=keep_services, console=console)


def main() -> None:  # pragma: no cover - console script entry
    app()


__all__ = ["Settings", "app"]
