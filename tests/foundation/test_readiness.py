"""`feedline serve` as a real process: /healthz always, /readyz names the backing service that is down."""

from __future__ import annotations

import time

import httpx

from ops import services
from tests.conftest import settings_for
from tests.foundation.test_services_lifecycle import LIFECYCLE_SLOT
from tests.support.processes import free_port, process_env, spawn


def test_readyz_reports_each_missing_service() -> None:
    # Its own services, because this test stops Neo4j under a running API.
    plan = services.ServicePlan.for_test_slot(LIFECYCLE_SLOT)
    services.up(plan, log=lambda _: None)
    port = free_port()
    api = spawn("api", ["serve"], process_env(settings_for(plan, port=port)))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert api.alive(), api.output()
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "API did not start"
            time.sleep(0.2)

        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"redis": "ok", "neo4j": "ok"}

        services.stop_neo4j(plan)
        not_ready = httpx.get(f"{base}/readyz", timeout=10)
        assert not_ready.status_code == 503
        assert not_ready.json()["down"] == ["neo4j"]
        assert httpx.get(f"{base}/healthz").status_code == 200  # alive, just not ready
        # A query that needs Neo4j answers SERVICE_UNAVAILABLE instead of hanging in the driver's retries (the
        # client's timeout only guards against a hang; how fast it answers is the bench's business).
        answer = httpx.post(
            f"{base}/graphql", json={"query": '{ user(handle: "nobody") { id } }'}, timeout=60
        ).json()
        assert answer["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", answer

        services.stop_redis(plan)
        both_down = httpx.get(f"{base}/readyz", timeout=10)
        assert both_down.status_code == 503
        assert both_down.json()["down"] == ["redis", "neo4j"]

        services.up(plan, log=lambda _: None)
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/readyz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "API did not become ready again after the services came back"
            time.sleep(0.5)
    finally:
        api.stop(20)
        services.down(plan)
