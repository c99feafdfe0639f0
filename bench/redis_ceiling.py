"""The fan-out ceiling measured in the same run: `redis-benchmark` pipelined ZADD on the same Redis."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any
from urllib.parse import urlparse


async def zadd_ceiling(redis_url: str, key_prefix: str, requests: int) -> dict[str, Any]:
    """ZADDs/s that `redis-benchmark` reaches with pipelining (16 commands per round trip, 4 connections)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        return {"available": False, "reason": "redis-benchmark not on PATH"}
    url = urlparse(redis_url)
    cmd = [
        exe,
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 6379),
        "-n",
        str(requests),
        "-P",
        "16",
        "-c",
        "4",
        "-r",
        "50000",
        "--csv",
        "ZADD",
        f"{key_prefix}rb:{{__rand_int__}}",
        "__rand_int__",
        "__rand_int__",
    ]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    lines = [line for line in out.decode().splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        return {"available": False, "reason": f"redis-benchmark failed: {err.decode()[-300:]}"}
    rps = float(lines[-1].split(",")[1].strip('"'))
    return {"available": True, "zadd_per_s": rps, "command": " ".join(cmd[1:])}
