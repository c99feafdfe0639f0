"""What the numbers were measured on: CPU, cores, memory, service and library versions."""

from __future__ import annotations

import os
import platform
from typing import Any

from neo4j import AsyncDriver
from redis.asyncio import Redis

LOAD_GENERATOR = (
    "Everything runs on this one machine: Redis, Neo4j, the `feedline serve` and `feedline worker` processes and "
    "the load generator (a Python asyncio process: the bench itself, using a minimal keep-alive HTTP/1.1 client "
    "and `websockets` for subscriptions). Load generator and servers share the same 2 cores, and other jobs "
    "may run on the machine too (see the load average), so absolute numbers are pessimistic and noisy; every "
    "figure is therefore given next to a ceiling or baseline measured in the same run."
)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


async def describe(redis: Redis, driver: AsyncDriver | None) -> dict[str, Any]:
    info = await redis.info("server")
    neo4j_version = "n/a"
    if driver is not None:
        records, _, _ = await driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS v, edition"
        )
        neo4j_version = " ".join(f"{r['name']} {r['v']} {r['edition']}" for r in records)
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "memory_gib": round(_memory_gib(), 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "redis": info.get("redis_version"),
        "neo4j": neo4j_version,
        "load_generator": LOAD_GENERATOR,
    }
