"""The fast demo organization, and a client whose app serves the notifications API (added here
if the app does not mount it yet)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tack.app import create_app
from tack.notifications.api import router as notifications_router
from tack.runtime import Runtime
from tests.directory.conftest import alice, demo, demo_rows  # noqa: F401


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(rt.settings, runtime=rt, start_runtime=False)
    if not any(r.path == "/api/v1/orgs/{org_id:str}/notifications" for r in app.routes):
        app.register(notifications_router)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c
