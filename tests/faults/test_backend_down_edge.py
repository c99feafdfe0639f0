"""The edge while Redis is down (defects 4 and 5 of issue 11), with real processes.

- A websocket that connects meanwhile is closed with 1013 (try again later) and a reason, no traceback.
- A subscription ended by its client while Redis is down does not end with INTERNAL_SERVER_ERROR.
- Once the process knows Redis is down, a GraphQL request fails within a second (SERVICE_UNAVAILABLE);
  after Redis is back, requests and subscriptions work again without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from neo4j import AsyncDriver
from websockets.exceptions import ConnectionClosed

from ops.services import ServicePlan, start_redis, stop_redis
from tests.api.gqlclient import Gql, WsClient, codes, eventually
from tests.support.processes import Stack

ME = "{ viewer { id } }"


async def test_websockets_and_requests_while_redis_is_down(
    stack: Stack, gql: Gql, neo4j: AsyncDriver, service_plan: ServicePlan
) -> None:
    user = await gql.sign_up()
    subscriber = await WsClient.open(stack.base_url, user.token)
    op = await subscriber.subscribe()
    await asyncio.to_thread(stop_redis, service_plan)
    try:
        # The client ends its subscription while Redis is gone: whatever comes back is not an internal error.
        # (The server may have closed it already: its live events stopped with Redis, 1013 and resubscribe.)
        with contextlib.suppress(ConnectionClosed):
            await subscriber.send({"id": op, "type": "complete"})
        with contextlib.suppress(TimeoutError, ConnectionClosed):
            async with asyncio.timeout(3):
                while True:
                    message = json.loads(await subscriber.ws.recv())
                    assert "INTERNAL_SERVER_ERROR" not in json.dumps(message), message

        async def known_down() -> bool:
            response = await gql.post(ME, token=user.token)
            return response.status_code == 503 and codes(response.json()) == ["SERVICE_UNAVAILABLE"]

        await eventually(known_down, within=15, what="SERVICE_UNAVAILABLE while Redis is down")
        started = time.monotonic()
        response = await gql.post(ME, token=user.token)
        assert time.monotonic() - started < 1.0 and response.status_code == 503  # fail fast

        try:
            late = await WsClient.open(stack.base_url, user.token, ack=False)
            code = await late.closed_code()
        except ConnectionClosed as closed:  # closed before connection_init could even be sent
            code = closed.rcvd.code if closed.rcvd is not None else None
        assert code == 1013
    finally:
        await asyncio.to_thread(start_redis, service_plan, lambda _: None)
        with contextlib.suppress(Exception):
            await subscriber.close()

    async def back() -> bool:
        return (await gql.post(ME, token=user.token)).status_code == 200

    await eventually(back, within=15, what="the API to answer again")
    again = await WsClient.open(stack.base_url, user.token)
    await again.subscribe()
    await gql.post_tweet(user, "after the outage")
    await again.close()
    output = stack.api.output()
    assert "Traceback" not in output, output[-4000:]
