"""The app templates with approval flows install, publish their flows, and route requests as
their scenarios say (scenario 2, leave, end to end)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tack.apps.documents import export_app, install_template, to_yaml
from tack.apps.tables import forms
from tack.flows.service import get_flow
from tests.flows.harness import Harness


@pytest.fixture
async def h(rt: Any, demo: dict[str, Any]) -> Harness:
    return Harness(rt, demo)


@pytest.mark.parametrize("name", ["leave", "purchase", "expense", "government", "visitor"])
async def test_template_installs_with_a_published_flow(h: Harness, name: str) -> None:
    async with h.tx("alice") as ctx:
        app = await install_template(ctx, name)
        form_ids = (await ctx.conn.execute(sa.select(forms.c.id).where(
            forms.c.org_id == h.org_id, forms.c.app_id == app.id))).scalars().all()
        flows = [await get_flow(ctx, f) for f in form_ids]
        assert flows and all(f.version == 1 and f.enabled for f in flows)
        doc = await export_app(ctx, app.id)
        assert doc.flows and doc.flows[0]["definition"]["nodes"][0]["type"] == "start"
        assert "flows:" in to_yaml(doc)


async def test_leave_routes_by_days(h: Harness) -> None:
    async with h.tx("alice") as ctx:
        app = await install_template(ctx, "leave")
        h.form_id = (await ctx.conn.execute(sa.select(forms.c.id).where(
            forms.c.org_id == h.org_id, forms.c.app_id == app.id))).scalar_one()
    base = {"Type": "annual", "Start": "2026-12-01", "End": "2026-12-02"}
    short = await h.submit("carol", {**base, "Days": 2})
    assert list(await h.pending(short)) == ["dan"]
    long = await h.submit("carol", {**base, "Days": 5})
    await h.act("dan", long)
    assert list(await h.pending(long)) == ["bob"]
    await h.act("bob", long)
    assert await h.status(long) == "approved"
    longest = await h.submit("carol", {**base, "Days": 12})
    for who in ("dan", "bob", "alice"):
        await h.act(who, longest)
    assert set(await h.pending(longest)) == {"leo", "mia"}  # HR countersigns
    await h.act("leo", longest)
    await h.act("mia", longest)
    assert await h.status(longest) == "approved"
