"""The built web client at `/` (index.html fallback for client-side routes) and the Neo4j Browser guide."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REPO_ROOT = Path(__file__).resolve().parents[1]
FRONTEND_DIST = REPO_ROOT / "frontend" / "dist"
GUIDE_DIR = REPO_ROOT / "services" / "neo4j" / "guide"

NOT_BUILT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Feedline</title></head>
<body><h1>Feedline</h1><p>The web client is not built yet (run the frontend build).
The API is at <a href="/graphql">/graphql</a>.</p></body></html>"""


def guide_origins(neo4j_http_port: int) -> list[str]:
    return [f"http://127.0.0.1:{neo4j_http_port}", f"http://localhost:{neo4j_http_port}"]


class GuideCors:
    """Lets the Neo4j Browser (another origin) fetch `:play http://127.0.0.1:8000/guide/feedline.html`."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = {o.encode() for o in origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = dict(scope.get("headers", [])).get(b"origin")

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and origin in self.origins:
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"access-control-allow-origin", origin)]
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def spa(request: Request) -> Response:
    """Serve a file from the build, else index.html (client routes), else a short page."""
    relative = request.path_params.get("path", "")
    candidate = (FRONTEND_DIST / relative).resolve()
    if relative and candidate.is_file() and FRONTEND_DIST.resolve() in candidate.parents:
        return FileResponse(candidate)
    index = FRONTEND_DIST / "index.html"
    if index.is_file():
        return FileResponse(index)
    return HTMLResponse(NOT_BUILT_PAGE)


def static_routes(neo4j_http_port: int) -> list[Route | Mount]:
    guide = StaticFiles(directory=GUIDE_DIR, check_dir=False)
    return [
        Mount("/guide", app=GuideCors(guide, guide_origins(neo4j_http_port))),
        Route("/", spa, methods=["GET"]),
        Route("/{path:path}", spa, methods=["GET"]),
    ]
