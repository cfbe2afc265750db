"""The Litestar application: routes, error rendering, OpenAPI, and the runtime's lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Response, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from tack import __version__
from tack.access.api import router as access_router
from tack.apps.api import list_templates
from tack.apps.api import router as apps_router
from tack.apps.schema_api import router as schema_router
from tack.auth.api import router as auth_router
from tack.config import Settings
from tack.core.clock import SYSTEM_CLOCK, Clock
from tack.directory.api import router as directory_router
from tack.files.api import router as files_router
from tack.flows.api import router as flows_router
from tack.flows.bpmn_api import router as bpmn_router
from tack.flows.calendar_api import router as calendar_router
from tack.http.idempotency import idempotency_middleware
from tack.http.openapi import document_responses
from tack.http.problems import HANDLERS
from tack.http.static import default_web_dir, spa
from tack.http.text import reject_nul_characters
from tack.notifications.api import router as notifications_router
from tack.records.api import router as records_router
from tack.records.query.api import router as record_query_router
from tack.records.transfer_api import router as transfer_router
from tack.runtime import Runtime
from tack.views.api import router as views_router

log = logging.getLogger("tack")


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok", "version": __version__}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, Any]]:
    """The process can serve: the database and the bus answer."""
    rt: Runtime = state["runtime"]
    checks: dict[str, str] = {}
    for name, probe in (("database", rt.db.ping), ("bus", rt.bus.ping)):
        try:
            checks[name] = "ok" if await probe() else "down"
        except Exception as exc:
            checks[name] = f"down: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


def create_app(settings: Settings | None = None, *, clock: Clock = SYSTEM_CLOCK, start_runtime: bool = True,
               runtime: Runtime | None = None) -> Litestar:
    """Build the app. Tests pass their own settings, clock, or an already running Runtime."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = runtime or Runtime.create(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if start_runtime:
            await rt.start()
        try:
            yield
        finally:
            if start_runtime:
                await rt.stop()

    swagger = SwaggerRenderPlugin(path="/docs", js_url="/swagger/swagger-ui-bundle.js",
                                  css_url="/swagger/swagger-ui.css",
                                  standalone_preset_js_url="/swagger/swagger-ui-standalone-preset.js",
                                  # served by us like the rest: self-hosted installs may have no internet
                                  favicon="<link rel='icon' type='image/svg+xml' href='/favicon.svg'>")
    openapi = OpenAPIConfig(
        title="Tack API", version=__version__, path="/api", render_plugins=[swagger],
        description="The open API of Tack. Every path under /api/v1/orgs/{org_id} is scoped to one "
                    "organization. Authenticate with `Authorization: Bearer <token>` or the web session cookie "
                    "(plus `X-CSRF-Token` on unsafe methods). Errors are application/problem+json.",
        components=Components(security_schemes={
            "token": SecurityScheme(type="http", scheme="bearer", description="An API token: tack_..."),
            "session": SecurityScheme(type="apiKey", name="tack_session", security_scheme_in="cookie"),
        }),
        security=[{"token": []}, {"session": []}],
        use_handler_docstrings=True,
    )
    app = Litestar(
        route_handlers=[healthz, readyz, auth_router, directory_router, files_router, apps_router, list_templates, records_router, record_query_router,
                        views_router, access_router, notifications_router, flows_router, bpmn_router, calendar_router, schema_router, transfer_router, spa],
        exception_handlers=HANDLERS,
        before_request=reject_nul_characters,
        middleware=[DefineMiddleware(idempotency_middleware)],
        openapi_config=openapi,
        # A route with opt `skip_compression` (file downloads: mostly compressed formats already)
        # is sent as it is.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="skip_compression"),
        state=State({"runtime": rt, "web_dir": settings.web_dir or default_web_dir()}),
        lifespan=[lifespan],
        request_max_body_size=10 * 1024 * 1024,
        debug=False,
    )
    document_responses(app.openapi_schema)  # built once here; served from this object afterwards
    return app
