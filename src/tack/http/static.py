"""Serves the built web app (web/dist): files by path, index.html for the app's own routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.response import File

from tack.core.errors import NotFound

_FALLBACK = """<!doctype html><html><head><meta charset="utf-8"><title>Tack</title></head>
<body style="font-family:sans-serif;max-width:40rem;margin:4rem auto">
<h1>Tack is running</h1><p>The web app is not built yet: run <code>make run</code> (or
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>). The API is at
<a href="/api/docs">/api/docs</a>.</p></body></html>"""


def default_web_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "web" / "dist"


@get(["/", "/{path:path}"], include_in_schema=False, sync_to_thread=False)
def spa(request: Request[Any, Any, Any], path: str = "/") -> Response[Any]:
    if path.startswith(("/api/", "api/")) or path in ("/api", "api"):
        raise NotFound("No such API route.")
    web_dir: Path = request.app.state["web_dir"]
    index = web_dir / "index.html"
    rel = path.lstrip("/")
    if rel:
        candidate = (web_dir / rel).resolve()
        if candidate.is_file() and web_dir.resolve() in candidate.parents:
            cache = "public, max-age=31536000, immutable" if "/assets/" in f"/{rel}" else "no-cache"
            return File(candidate, filename=candidate.name, content_disposition_type="inline",  # type: ignore[return-value]
                        headers={"Cache-Control": cache})
        if "." in rel.rsplit("/", 1)[-1]:
            raise NotFound("No such file.")
    if index.is_file():
        return File(index, filename="index.html", content_disposition_type="inline",  # type: ignore[return-value]
                    media_type="text/html", headers={"Cache-Control": "no-cache"})
    return Response(_FALLBACK, media_type="text/html")
