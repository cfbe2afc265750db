"""Auth tests run on a FrozenClock (set to now), so sessions, tokens, reset links and rate-limit
windows can be made to expire by moving time instead of waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tack.app import create_app
from tack.core.clock import FrozenClock
from tack.runtime import Runtime
from tests.conftest import frozen_now
from tests.directory.conftest import demo, demo_rows  # noqa: F401 - the fast demo org, shared


@pytest.fixture
def clock() -> FrozenClock:
    return frozen_now()


@pytest.fixture
async def client2(rt: Runtime) -> AsyncIterator[AsyncTestClient[Any]]:
    """A second browser: its own cookie jar, the same server."""
    app = create_app(rt.settings, runtime=rt, start_runtime=False)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
