"""Property-based API testing with schemathesis: every operation in our OpenAPI document is fed
generated valid and invalid requests, and no answer may be a 5xx. Errors must be problem+json,
and every answer must match what the document says (status, content type, body schema).

The app runs in schemathesis' own event-loop thread (its ASGI transport), with an organization
token of the demo organization that holds every scope (and, for /me and the like, the owner's
personal token). Generated `{org_id}` path values that are UUIDs are replaced by the demo
organization's id, and about 3 in 4 other generated ids (in paths, queries and bodies) by real
ids of the demo's objects, so requests get past "not found" into the services.

Runtime: 20 generated examples per operation plus schemathesis' example and coverage phases,
on both backends (the `settings` fixture is parametrized like every database test): about
40 s per backend on 2 cores. TACK_SCHEMATHESIS_EXAMPLES=300 hunts harder (about 6 min).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tack.app import create_app
from tack.cli import run_migrations
from tack.config import Settings
from tack.core.db import Database
from tack.demo import load_demo
from tack.directory.tables import departments, invitations, members, roles
from tack.files.tables import files
from tests.conftest import BACKENDS, PG_ADMIN_URL
from tests.files.samples import pdf, png

MAX_EXAMPLES = int(os.environ.get("TACK_SCHEMATHESIS_EXAMPLES", "20"))


def _openapi_document() -> dict[str, Any]:
    """The document as the app serves it (building it needs no database)."""
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", bus_url="memory://", secret_key="x",
                        background=False)
    app = create_app(settings, start_runtime=False)
    return app.openapi_schema.to_schema()


CONFIG = SchemathesisConfig.from_dict({
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
})
schema = schemathesis.openapi.from_dict(_openapi_document(), config=CONFIG)


def _run(coro: Any) -> Any:
    """Run a coroutine to completion on a fresh loop in another thread (pytest-asyncio's loop is
    not ours to touch from a sync test)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _real_ids(settings: Settings, org_id: uuid.UUID) -> dict[str, list[str]]:
    db = Database(settings.database_url)
    try:
        async with db.transaction(write=False) as conn:
            out: dict[str, list[str]] = {}
            for name, table in (("department_id", departments), ("member_id", members), ("role_id", roles),
                                ("invitation_id", invitations), ("file_id", files)):
                rows = (await conn.execute(sa.select(table.c.id).where(table.c.org_id == org_id))).scalars()
                out[name] = [str(i) for i in rows]
            return out
    finally:
        await db.dispose()


class Target:
    def __init__(self, app: Any, org_id: str, tokens: dict[str, str], ids: dict[str, list[str]]) -> None:
        self.app, self.org_id, self.tokens, self.ids = app, org_id, tokens, ids

    def token_for(self, case: Any) -> str:
        """Org-scoped operations run as the organization token (admin rights, every scope); the
        rest (/me, ...) as the owner's personal token, since an organization token is no person."""
        return self.tokens["organization" if "{org_id}" in case.path else "personal"]


@pytest.fixture(scope="session", params=BACKENDS)
def target_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One database per backend for the whole walk, set up once: the operations run one after
    another against the same demo organization, as a client's requests would (setting it up
    again for each of some 260 operations cost most of the suite's time)."""
    data_dir = tmp_path_factory.mktemp("schemathesis")
    if request.param == "sqlite":
        path = data_dir / "tack.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url, name = f"sqlite+aiosqlite:///{path}", None
    else:
        name = f"tack_test_st_{secrets.token_hex(4)}"
        admin = sa.create_engine(PG_ADMIN_URL.replace("+asyncpg", "+psycopg"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        run_migrations(url)
    yield Settings(database_url=url, data_dir=data_dir, bus_url="memory://", secret_key="test",
                   base_url="http://testserver.local", background=False, smtp_port=1, login_attempts_per_15min=5)
    if name is not None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def target(target_settings: Settings) -> Iterator[Target]:
    settings = target_settings
    _run(load_demo(settings, templates=False))  # (the apps it would install are never aimed at)
    app = create_app(settings, start_runtime=True)
    with asgi.get_client(app) as http:  # starts the app's lifespan in schemathesis' loop
        r = http.post("/api/v1/auth/sign-in", json={"email": "alice@example.com", "password": "demo-password"})
        assert r.status_code == 200, r.text
        me = r.json()
        org_id = me["memberships"][0]["org_id"]
        scopes = [s["name"] for s in http.get("/api/v1/scopes").json()["items"]]
        tokens = {}
        for kind in ("organization", "personal"):
            r = http.post(f"/api/v1/orgs/{org_id}/tokens", headers={"X-CSRF-Token": me["csrf_token"]},
                          json={"name": f"schemathesis {kind}", "kind": kind, "scopes": scopes})
            assert r.status_code == 201, r.text
            tokens[kind] = r.json()["token"]
        # a second token, for DELETE /tokens/{token_id} to revoke (not the one the test runs with)
        r = http.post(f"/api/v1/orgs/{org_id}/tokens", headers={"X-CSRF-Token": me["csrf_token"]},
                      json={"name": "to revoke", "kind": "organization", "scopes": ["org:read"]})
        assert r.status_code == 201, r.text
        spare_token_id = r.json()["id"]
        # files to read, download and delete (an image and a PDF)
        for name, content, ctype in (("a.png", png(), "image/png"), ("b.pdf", pdf(), "application/pdf")):
            r = http.post(f"/api/v1/orgs/{org_id}/files", headers={"X-CSRF-Token": me["csrf_token"]},
                          files={"file": (name, content, ctype)})
            assert r.status_code == 201, r.text
    ids = _run(_real_ids(settings, uuid.UUID(org_id)))
    ids["token_id"] = [spare_token_id]
    yield Target(app, org_id, tokens, ids)
    asgi.shutdown_lifespans()  # stops the runtime: disposes the engine, closes the bus


# Which demo objects a generated id may be swapped for, by parameter or body field name.
KINDS = {"org_id": "org_id", "department_id": "department_id", "parent_id": "department_id",
         "department_ids": "department_id", "member_id": "member_id", "manager_id": "member_id",
         "member_ids": "member_id", "role_id": "role_id", "until_role_id": "role_id",
         "invitation_id": "invitation_id", "token_id": "token_id", "last_org_id": "org_id", "file_id": "file_id"}


def _swap(name: str, value: Any, t: Target) -> Any:
    """A real id of the demo organization in place of a generated UUID, for about 3 in 4 values
    (chosen from the generated value itself, so hypothesis' replay and shrinking still hold)."""
    kind = KINDS.get(name)
    if kind is None or not isinstance(value, str):
        return value
    try:
        generated = uuid.UUID(value)
    except ValueError:
        return value  # a negative case: keep it
    if kind == "org_id":
        return t.org_id if name == "org_id" or generated.int % 2 == 0 else value
    real = t.ids.get(kind) or []
    if not real or generated.int % 4 == 0:
        return value
    return real[generated.int % len(real)]


def _aim(case: Any, t: Target) -> None:
    for params in (case.path_parameters, case.query):
        for name, value in list((params or {}).items()):
            params[name] = _swap(name, value, t)
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            if isinstance(value, list):
                case.body[name] = [_swap(name, v, t) for v in value]
            else:
                case.body[name] = _swap(name, value, t)


def problem_json_on_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx Tack returns is application/problem+json (the SPA fallback is not an API error)."""
    if response.status_code >= 400:
        ctype = response.headers.get("content-type", [""])
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), (
            f"{case.method} {case.formatted_path} -> {response.status_code} with content-type {ctype!r}")
    return None


# No 5xx, above all. And the document tells the truth: every answer has a documented status and
# content type, and its body matches the documented schema (errors included: see tack.http.openapi).
CHECKS = [not_a_server_error, problem_json_on_errors, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_no_server_errors(case: Any, target: Target) -> None:
    _aim(case, target)
    response = case.call(app=target.app, headers={"Authorization": f"Bearer {target.token_for(case)}"})
    case.validate_response(response, checks=CHECKS)
