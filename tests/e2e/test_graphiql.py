"""GraphiQL without a CDN: the page the API serves to a browser's GET /graphql and every asset it loads come
from the API's origin (plain HTTP), and headless Chromium renders the editor, runs a query and shows the docs
with every other origin blocked (frontend/graphiql/e2e/graphiql.spec.ts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from feedline.settings import PROJECT_ROOT, Settings
from tests.support.processes import Proc, running, start_api

FRONTEND = PROJECT_ROOT / "frontend"
GRAPHIQL_DIST = FRONTEND / "graphiql" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
# Hosts strawberry's own page (and GraphiQL's CDN set-ups) load from.
CDN_HOSTS = (
    "unpkg.com",
    "jsdelivr.net",
    "esm.sh",
    "cdnjs.cloudflare.com",
    "fonts.googleapis.com",
    "gstatic.com",
)
# A reference that makes the browser fetch something: HTML src/href, CSS url(), JS import / Worker / importScripts.
HTML_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
LOADING_REFERENCE = re.compile(
    r"""(?:url\(\s*["']?|import\s*\(\s*["'`]|\bfrom\s*["'`]|importScripts\(\s*["'`]|new\s+Worker\(\s*["'`])"""
    r"""((?:https?:)?//[^"'`)\s]+)"""
)


def ensure_graphiql_built() -> None:
    assert shutil.which("npm"), "npm is required to build GraphiQL"
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail("frontend dependencies missing: run `make frontend-deps`")
    result = subprocess.run(
        ["node", "scripts/build-graphiql.mjs"], cwd=FRONTEND, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"GraphiQL build failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def api(test_settings: Settings) -> Iterator[Proc]:
    ensure_graphiql_built()
    proc = start_api(test_settings)
    with running(proc):
        yield proc


def test_graphiql_page_and_assets_come_from_our_origin(api: Proc) -> None:
    with httpx.Client(base_url=api.base_url or "", timeout=20.0) as http:
        page = http.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "Feedline GraphiQL" in page.text
        references = HTML_REFERENCE.findall(page.text)
        assert references, page.text
        for reference in references:
            assert reference.startswith("/") and not reference.startswith("//"), reference
            asset = http.get(reference)
            assert asset.status_code == 200 and asset.content, reference
        # An API client asking for JSON (or anything but HTML) never gets the page.
        assert http.get("/graphql", headers={"accept": "*/*"}).status_code != 200

    files = [page.text] + [p.read_text(errors="replace") for p in (GRAPHIQL_DIST / "assets").glob("*.[jc]s*")]
    assert len(files) > 3
    for text in files:
        assert LOADING_REFERENCE.findall(text) == []
        for host in CDN_HOSTS:
            assert host not in text, host


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is needed (make test installs it)")
def test_graphiql_renders_with_the_network_cut(api: Proc) -> None:
    env = {
        **os.environ,
        "FEEDLINE_E2E_URL": api.base_url or "",
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CI": "1",
    }
    result = subprocess.run(
        ["npx", "playwright", "test", "--config", "graphiql/playwright.config.ts", "--reporter=list"],
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
