"""`feedline worker`: one fan-out worker process until SIGTERM/SIGINT (the current page is finished first).

Also runnable as ``python -m feedline.worker``. Its knobs are Settings (FEEDLINE_WORKER_PAGE_SIZE,
FEEDLINE_WORKER_CLAIM_MIN_IDLE_MS, FEEDLINE_WORKER_NAME).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

from fanout.client import open_redis
from fanout.transitions import reconcile_all
from fanout.worker import FanoutWorker
from feedline.app import engine_config
from feedline.settings import Settings, get_settings
from graph.driver import open_driver
from graph.schema import apply_schema
from ops.telemetry import configure_logging, setup_tracing

log = logging.getLogger("feedline.worker")


def consumer_name(settings: Settings) -> str:
    return settings.worker_name or f"{socket.gethostname()}-{os.getpid()}"


async def run_worker(settings: Settings) -> None:
    configure_logging(settings.log_format)
    setup_tracing("feedline-worker", settings.otlp_endpoint)
    driver = await open_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    redis = open_redis(settings.redis_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await apply_schema(driver)
        worker = FanoutWorker(
            driver,
            redis,
            engine_config(settings),
            consumer_name(settings),
            page_size=settings.worker_page_size,
            claim_min_idle_ms=settings.worker_claim_min_idle_ms,
        )
        await worker.ctx.store.load_functions()  # the library as this code knows it
        await worker.ensure_group()
        queued = await reconcile_all(worker.ctx, worker.derived)
        log.info("fan-out worker %s started (%d threshold reconciles queued)", worker.consumer, queued)
        await worker.run(stop)
        log.info("fan-out worker %s stopped (%d messages done)", worker.consumer, worker.stats.messages_done)
    finally:
        await redis.aclose()
        await driver.close()


if __name__ == "__main__":
    asyncio.run(run_worker(get_settings()))
