"""The Neo4j Browser guide: served by the API to the Browser's origin, and every card's Cypher runs."""

from __future__ import annotations

import html
import re

import httpx
from neo4j import AsyncDriver

from feedline.settings import Settings
from graph.driver import DATABASE
from tests.support.processes import running, start_api

CARD = re.compile(r'<pre class="code runnable">(.*?)</pre>', re.S)


async def _seed(driver: AsyncDriver) -> None:
    """demo follows x and y; x follows y and z; y follows demo; x and demo post; z counts as a celebrity."""
    await driver.execute_query(
        "UNWIND $users AS u CREATE (:User {id: u[0], handle: u[1], handleLower: u[1], displayName: u[1], "
        "  followerCount: u[2], followingCount: 0, tweetCount: 0}) "
        "WITH count(*) AS created MATCH (d:User {handle: 'demo'}), (x:User {handle: 'x'}), (y:User {handle: 'y'}), "
        "  (z:User {handle: 'z'}) "
        "CREATE (d)-[:FOLLOWS {since: datetime()}]->(x), (d)-[:FOLLOWS {since: datetime()}]->(y), "
        "  (x)-[:FOLLOWS {since: datetime()}]->(y), (x)-[:FOLLOWS {since: datetime()}]->(z), "
        "  (y)-[:FOLLOWS {since: datetime()}]->(d), "
        "  (x)-[:POSTED]->(:Tweet {id: 10, text: 'from x', createdAt: datetime(), likeCount: 3, deleted: false}), "
        "  (d)-[:POSTED]->(:Tweet {id: 11, text: 'from demo', createdAt: datetime(), likeCount: 0, deleted: false}), "
        "  (z)-[:POSTED]->(:Tweet {id: 12, text: 'gone', createdAt: datetime(), likeCount: 9, deleted: true})",
        users=[[1, "demo", 0], [2, "x", 1], [3, "y", 2], [4, "z", 60]],
        database_=DATABASE,
    )


async def test_guide_is_served_to_the_browser_and_its_queries_run(
    settings: Settings, neo4j: AsyncDriver
) -> None:
    with running(start_api(settings)) as (api,):
        origin = f"http://127.0.0.1:{settings.neo4j_http_port}"
        url = f"{api.base_url}/guide/feedline.html"
        async with httpx.AsyncClient(timeout=10) as http:
            # The Browser's fetch sends cache-control/pragma, so it is preceded by a CORS preflight.
            preflight = await http.options(
                url,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "cache-control,pragma",
                },
            )
            response = await http.get(url, headers={"Origin": origin, "Cache-Control": "no-cache"})
            refused = await http.get(url, headers={"Origin": "http://evil.example"})
    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers.get("access-control-allow-origin") == origin
    assert "cache-control" in preflight.headers.get("access-control-allow-headers", "")
    assert "access-control-allow-origin" not in refused.headers
    assert response.status_code == 200
    assert response.headers.get("access-control-allow-origin") == origin
    cards = [html.unescape(c).strip() for c in CARD.findall(response.text)]
    assert len(cards) >= 5

    await _seed(neo4j)
    results = {}
    for cypher in cards:
        records, _, _ = await neo4j.execute_query(cypher, database_=DATABASE)
        results[cypher.splitlines()[0]] = [r.data() for r in records]
    followers = next(rows for rows in results.values() if rows and "follower" in rows[0])
    assert [r["follower"] for r in followers] == ["y"]
    celebs = next(rows for first, rows in results.items() if first.startswith("WITH 50 AS threshold"))
    assert [r["celebrity"] for r in celebs] == ["z"]
    fof = next(rows for rows in results.values() if rows and "suggestion" in rows[0])
    assert [r["suggestion"] for r in fof] == ["z"]  # y is already followed
    pull = next(rows for rows in results.values() if rows and "author" in rows[0] and "at" in rows[0])
    assert [r["text"] for r in pull] == ["from demo", "from x"]  # own + followed, newest first, no deleted
