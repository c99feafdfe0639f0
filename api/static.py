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
# GraphiQL, built from pinned npm packages by the frontend build (frontend/graphiql/, its own Vite build).
GRAPHIQL_DIST = REPO_ROOT / "frontend" / "graphiql" / "dist"
GRAPHIQL_PAGE = GRAPHIQL_DIST / "index.html"
# The web client's trusted documents (hash -> operation), written by its codegen; the build copies the manifest
# into dist/. Both are loaded (a stale build and a newer source tree each keep working).
TRUSTED_DOCUMENT_MANIFESTS = (
    FRONTEND_DIST / "persisted-documents.json",
    REPO_ROOT / "frontend" / "src" / "gql" / "persisted-documents.json",
)

NOT_BUILT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Feedline</title></head>
<body><h1>Feedline</h1><p>The web client is not built yet (run the frontend build).
The API is at <a href="/graphql">/graphql</a>.</p></body></html>"""


GRAPHIQL_NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GraphiQL</title>
</head><body><h1>GraphiQL is not built yet</h1><p>Run <code>make frontend</code> (or <code>npm run build</code> in
<code>frontend/</code>): GraphiQL is built from pinned npm packages and served from this origin, no CDN.
Meanwhile POST GraphQL to <code>/graphql</code>.</p></body></html>"""


def graphiql_page() -> HTMLResponse:
    """GraphiQL's page from its build (it loads its assets from /graphiql/assets/)."""
    try:
        return HTMLResponse(GRAPHIQL_PAGE.read_text())
    except FileNotFoundError:
        return HTMLResponse(GRAPHIQL_NOT_BUILT_PAGE)


def guide_origins(neo4j_http_port: int) -> list[str]:
    return [f"http://127.0.0.1:{neo4j_http_port}", f"http://localhost:{neo4j_http_port}"]


class GuideCors:
    """Lets the Neo4j Browser (another origin) fetch `:play http://127.0.0.1:8000/guide/feedline.html`.

    Installed as the outermost middleware: the Browser sends `cache-control`/`pragma` headers, so its fetch is
    preceded by a CORS preflight, which the app-wide CORSMiddleware (dev-server origins only) would refuse.
    Requests under /guide/ from the Browser's origins get their preflight answered here and the allow-origin
    header on the response; everything else passes through untouched.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.origins = {o.encode() for o in origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        origin = headers.get(b"origin")
        if origin not in self.origins or not scope["path"].startswith("/guide/"):
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"")
            preflight = [
                *cors,
                (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
                (b"access-control-allow-headers", requested),
                (b"access-control-max-age", b"600"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": preflight})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *cors]
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


def static_routes() -> list[Route | Mount]:
    """The guide (its CORS is GuideCors, installed around the whole app), GraphiQL's assets (its page is the
    GraphQL view's answer to a browser's GET /graphql) and the web client."""
    return [
        Mount("/guide", app=StaticFiles(directory=GUIDE_DIR, check_dir=False)),
        Mount("/graphiql/assets", app=StaticFiles(directory=GRAPHIQL_DIST / "assets", check_dir=False)),
        Route("/", spa, methods=["GET"]),
        Route("/{path:path}", spa, methods=["GET"]),
    ]
