"""README command 1 (`feedline run`, what `make run` calls) as a new user sees it, on ports of its own.

From an empty state directory: services come up, the demo world is seeded, API and worker start, the URLs
are printed; the printed demo login works and its feed merges celebrities; SIGTERM stops everything.
"""

from __future__ import annotations

import os
import shutil
import socket
import time

import httpx

from feedline.settings import PROJECT_ROOT
from tests.conftest import TEST_SLOT
from tests.support.processes import free_port, spawn

STARTUP_S = 240


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_brings_up_a_seeded_demo_and_stops_everything() -> None:
    state = PROJECT_ROOT / ".feedline" / f"test-run-{TEST_SLOT}"
    shutil.rmtree(state, ignore_errors=True)
    # Ports clear of the test slots (16390+, 17474+, 17687+) and of the benchmark services.
    redis_port, bolt, http = 16460 + TEST_SLOT, 17600 + 2 * TEST_SLOT, 17601 + 2 * TEST_SLOT
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDLINE_")}
    env.update(
        FEEDLINE_STATE_DIR=str(state),
        FEEDLINE_REDIS_PORT=str(redis_port),
        FEEDLINE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        FEEDLINE_NEO4J_BOLT_PORT=str(bolt),
        FEEDLINE_NEO4J_HTTP_PORT=str(http),
        FEEDLINE_NEO4J_URI=f"bolt://127.0.0.1:{bolt}",
        FEEDLINE_NEO4J_HEAP="768m",
        FEEDLINE_NEO4J_PAGECACHE="256m",
        FEEDLINE_PORT=str(api_port),
        COLUMNS="200",
    )
    log = state.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    run = spawn("run", ["run"], env, log_path=log)
    base = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while "Feedline is running" not in log.read_text(errors="replace"):
            assert run.alive(), log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.5)
        printed = log.read_text(errors="replace")
        for url in (f"{base}/", f"{base}/graphql", f"http://127.0.0.1:{http}/browser/"):
            assert url in printed
        assert "demo / demo-password" in printed

        assert httpx.get(f"{base}/readyz").status_code == 200
        graphiql = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
        browser = httpx.get(f"http://127.0.0.1:{http}/browser/")
        assert browser.status_code == 200 and "neo4j" in browser.text.lower()

        login = httpx.post(
            f"{base}/graphql",
            timeout=30,
            json={"query": 'mutation { logIn(handle: "demo", password: "demo-password") { token } }'},
        ).json()
        token = login["data"]["logIn"]["token"]
        # The first read builds the user's Redis state from a Neo4j that has just started (cold JVM, every
        # query planned for the first time) on a machine that is running other tests: allow it time.
        feed = httpx.post(
            f"{base}/graphql",
            json={"query": "{ homeTimeline(first: 50) { edges { source } pageInfo { hasNextPage } } }"},
            headers={"authorization": f"Bearer {token}"},
            timeout=60,
        ).json()["data"]["homeTimeline"]
        sources = {edge["source"] for edge in feed["edges"]}
        assert feed["pageInfo"]["hasNextPage"] and {"TIMELINE", "CELEBRITY"} <= sources
    finally:
        code = run.stop(timeout=90)  # SIGTERM; SIGKILL (a non-zero code) if it does not stop in time
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "stopped." in output
    for port in (api_port, redis_port, bolt, http):
        assert not _port_open(port), f"port {port} still open after stop"
    shutil.rmtree(state, ignore_errors=True)
    log.unlink()
