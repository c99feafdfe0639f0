"""The `feedline` command: local services (ops/cli.py), the API, the fan-out worker, seeding, benchmarks, the
schema.

Each command reads the settings once and hands plain values inward; heavy imports happen inside the
commands so `feedline services status` stays instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feedline.settings import PROJECT_ROOT, get_settings
from ops.cli import TestSlot, plan_for, run_demo_command, services_app

app = typer.Typer(
    help="Feedline: a hybrid fan-out home-feed service.", no_args_is_help=True, add_completion=False
)
app.add_typer(services_app, name="services")
app.command("run")(run_demo_command)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: FEEDLINE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: FEEDLINE_PORT).")] = None,
) -> None:
    """Run the API: GraphQL over HTTP and websockets, GraphiQL, the web client, health and metrics."""
    from api import server
    from feedline.app import create_app, server_limits
    from ops.telemetry import configure_logging, setup_tracing

    settings = get_settings()
    configure_logging(settings.log_format)
    setup_tracing("feedline-api", settings.otlp_endpoint)
    app_, limits = create_app(settings), server_limits(settings)
    server.run(app_, host=host or settings.host, port=port or settings.port, limits=limits)


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
    cluster: Annotated[
        bool,
        typer.Option(
            help="Only the single-server vs Redis Cluster comparison (homeTimeline, live, Redis side) on a "
            "local cluster of the bench's own; writes CLUSTER.md."
        ),
    ] = False,
) -> None:
    """Run every benchmark scenario on private services and write the report with plots."""
    from bench import run_bench_cli

    run_bench_cli(
        get_settings(), quick=quick, out_dir=out_dir, keep_services=keep_services, fanout_only=fanout_only,
        cluster=cluster,
    )  # fmt: skip


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
    its chaos flushes and restarts that Redis and restarts that Neo4j."""
    from bench.soak import run_soak_cli

    run_soak_cli(
        plan_for(test_slot), minutes=minutes, users=users, subscribers=subscribers, chaos=chaos,
        chaos_every_s=chaos_every, out=out_dir,
    )  # fmt: skip
