"""`feedline run`: the one-command demo.

Starts Redis and Neo4j, applies the graph schema, seeds the demo world once, then runs the API and one
fan-out worker as child processes (the same split as production) until Ctrl-C, and stops everything.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from feedline.settings import PROJECT_ROOT, Settings
from ops import services as local_services

# A few hundred users cannot reach 50,000 followers; the demo lowers the threshold so its celebrities
# exercise fan-out on read. An explicit FEEDLINE_CELEBRITY_THRESHOLD (env or .env) wins.
DEMO_CELEBRITY_THRESHOLD = 50
DEMO_LOGIN = ("demo", "demo-password")


def demo_settings(settings: Settings) -> Settings:
    if "celebrity_threshold" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"celebrity_threshold": DEMO_CELEBRITY_THRESHOLD})


async def _prepare_graph(settings: Settings) -> bool:
    """Apply the schema; return True when the demo world is already there."""
    from graph.driver import DATABASE, open_driver
    from graph.schema import apply_schema

    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    try:
        await apply_schema(driver)
        records, _, _ = await driver.execute_query(
            "MATCH (u:User {handleLower: $handle}) RETURN count(u) AS n",
            handle=DEMO_LOGIN[0],
            database_=DATABASE,
        )
        return bool(records[0]["n"])
    finally:
        await driver.close()


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited with code {proc.returncode} during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_demo(settings: Settings, *, keep_services: bool, console: Console) -> None:
    settings = demo_settings(settings)
    plan = local_services.ServicePlan.from_settings(settings)
    with console.status("starting Redis and Neo4j…"):
        local_services.up(plan, log=lambda message: console.print(f"[dim]·[/dim] {message}"))
    seeded = asyncio.run(_prepare_graph(settings))
    if not seeded:
        from seed import run_seed_cli

        console.print("seeding the demo world (once)…")
        run_seed_cli(settings, "demo", None, None, None, 42)

    env = settings.child_env()
    feedline_cmd = [sys.executable, "-m", "feedline"]
    logs = settings.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    # Ctrl-C, and also SIGTERM (kill, a process manager) or a SIGINT that a non-interactive shell would have
    # us ignore, all take the same clean way out: stop the children, then the services.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        api = _spawn([*feedline_cmd, "serve"], env, logs / "api.log")
        children.append(api)
        children.append(_spawn([*feedline_cmd, "worker"], env, logs / "worker.log"))
        base = f"http://{settings.host}:{settings.port}"
        _wait_http(f"{base}/healthz", 60, api)
        _print_urls(console, settings, plan, base, logs, built=(PROJECT_ROOT / "frontend" / "dist").exists())
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        console.print("[red]a Feedline process exited; see the logs above[/red]")
    except KeyboardInterrupt:
        console.print("\nstopping…")
    finally:
        for child in children:
            _stop(child)
        if not keep_services:
            local_services.down(plan)
        console.print("stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _spawn(cmd: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as log:
        # Own process group: Ctrl-C reaches only us, and we stop the children in order.
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _print_urls(
    console: Console,
    settings: Settings,
    plan: local_services.ServicePlan,
    base: str,
    logs: Path,
    *,
    built: bool,
) -> None:
    client = (
        f"{base}/"
        if built
        else f"{base}/ (web client not built: run `make run` or `npm run build` in frontend/)"
    )
    console.print(
        Panel.fit(
            "\n".join(
                [
                    f"[bold]Web client[/bold]     {client}",
                    f"[bold]GraphiQL[/bold]       {base}/graphql",
                    f"[bold]Neo4j Browser[/bold]  {plan.browser_url}",
                    f"                 connect to {plan.neo4j_uri} as "
                    f"{settings.neo4j_user} / {settings.neo4j_password}",
                    f"                 guide: :play {base}/guide/feedline.html",
                    f"[bold]Demo login[/bold]     {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}",
                    f"[bold]Metrics[/bold]        {base}/metrics",
                    f"[bold]Logs[/bold]           {logs}",
                    f"celebrity threshold: {settings.celebrity_threshold} followers",
                    "",
                    "Ctrl-C stops everything.",
                ]
            ),
            title="Feedline is running",
        )
    )
