"""SERVICE_UNAVAILABLE: when Redis or Neo4j cannot be reached the API says so (and the client may retry),
instead of an INTERNAL_SERVER_ERROR. The app runs in-process against a real port where nothing listens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from neo4j import AsyncDriver, AsyncGraphDatabase

from fanout.service import FeedService
from feedline.app import create_app, engine_config
from feedline.settings import Settings
from tests.api.gqlclient import Gql, codes, in_process
from tests.support.processes import free_port


@pytest.fixture
async def app_without_redis(settings: Settings, neo4j: AsyncDriver) -> AsyncIterator[Gql]:
    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    async with in_process(create_app(dead)) as client:  # Redis connects lazily: the app starts
        yield client


async def test_redis_down(app_without_redis: Gql) -> None:
    gql = app_without_redis
    assert await gql.codes("{ trending { id } }") == ["SERVICE_UNAVAILABLE"]
    response = await gql.post("{ viewer { id } }", token="some-token")  # the token lives in Redis
    assert response.status_code == 503 and codes(response.json()) == ["SERVICE_UNAVAILABLE"]
    assert (await gql.http.get("/readyz")).json()["down"] == ["redis"]


@pytest.fixture
async def app_without_neo4j(settings: Settings, neo4j: AsyncDriver) -> AsyncIterator[Gql]:
    app = create_app(settings)
    async with in_process(app) as client:
        # Swap the engine's driver for one aimed at a closed port (the real one stays for the lifespan).
        dead = AsyncGraphDatabase.driver(
            f"bolt://127.0.0.1:{free_port()}",
            auth=(settings.neo4j_user, settings.neo4j_password),
            connection_acquisition_timeout=2,
            max_transaction_retry_time=0.5,  # the default retries for 30 s before giving up
        )
        app.state.feed_service = FeedService(dead, app.state.redis, engine_config(settings))
        try:
            yield client
        finally:
            await dead.close()


async def test_neo4j_down(app_without_neo4j: Gql) -> None:
    gql = app_without_neo4j
    assert await gql.codes('{ user(handle: "someone") { id } }') == ["SERVICE_UNAVAILABLE"]
    body = await gql.body('mutation { signUp(handle: "nobody_up", password: "longenough") { token } }')
    assert codes(body) == ["SERVICE_UNAVAILABLE"]
    assert body["errors"][0]["message"] == "A backing service is unavailable; retry shortly."
