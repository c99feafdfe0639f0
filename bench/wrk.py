"""Saturation throughput with wrk, a compiled HTTP load generator (Debian's package; `make bench` installs it).

The bench's own generator is Python: at a few hundred requests per second its CPU per request is a fair share
of the machine's two cores, so it cannot show what the API sustains beyond that. wrk costs a few microseconds
per request. One wrk per API process (wrk targets one host:port), all at once, for the same time; each sends
the same POST with the viewer's token and counts the answers that are not a clean 200 (an HTTP error, or a
GraphQL body with "errors"), so a fast error is never counted as a served page.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

# wrk's Lua hooks: the request (method, body, headers) and, at the end, a JSON line with the figures.
_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {auth}
local bad = 0
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  io.write(string.format(
    '{{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "socket_errors": %d, "bad": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
      + summary.errors.status, bad))
end
"""


def available() -> str | None:
    return shutil.which("wrk")


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for this ASCII text


async def _one(wrk: str, url: str, script: Path, connections: int, duration_s: float) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s", "--latency", "-s", str(script), url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    lines = [line for line in out.decode().splitlines() if line.startswith('{"requests"')]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err.decode()[-300:]} {out.decode()[-300:]}")
    return dict(json.loads(lines[-1]))


async def saturate(
    urls: list[str], path: str, body: bytes, token: str, *, connections: int, duration_s: float
) -> dict[str, Any]:
    """Requests/s summed over ``urls`` (``connections`` each), the worst p50/p99, and the error counts."""
    wrk = available()
    if wrk is None:
        raise RuntimeError("wrk is not installed (make bench installs Debian's package)")
    with tempfile.TemporaryDirectory(prefix="feedline-wrk-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(
            _SCRIPT.format(body=_lua_string(body.decode()), auth=_lua_string(f"Bearer {token}"))
        )
        runs = await asyncio.gather(*(_one(wrk, u + path, script, connections, duration_s) for u in urls))
    served = sum(r["requests"] - r["bad"] for r in runs)
    return {
        "generator": "wrk",
        "processes": len(urls),
        "connections_per_process": connections,
        "requests_per_s": sum(r["requests"] / (r["duration_us"] / 1e6) for r in runs),
        "served_per_s": sum((r["requests"] - r["bad"]) / (r["duration_us"] / 1e6) for r in runs),
        "served": served,
        "p50_ms": max(r["p50_us"] for r in runs) / 1000,
        "p99_ms": max(r["p99_us"] for r in runs) / 1000,
        "bad_answers": sum(r["bad"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
    }
