"""Two requests racing for one unique value: one wins, the other gets a clear problem, never a 500."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api, new_email


async def test_same_new_person_added_twice_at_once(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    email = new_email()
    body = {"name": "Racy Person", "email": email, "employee_no": "E-RACE-1"}
    r1, r2 = await asyncio.gather(alice.post(f"/api/v1/orgs/{org}/members", body),
                                  alice.post(f"/api/v1/orgs/{org}/members", body))
    statuses = sorted([r1.status_code, r2.status_code])
    assert statuses[0] == 201 and statuses[1] in (409, 422), (r1.text, r2.text)
    loser = r1 if r1.status_code != 201 else r2
    assert loser.headers["content-type"].startswith("application/problem+json")
    r = await alice.get(f"/api/v1/orgs/{org}/members", params={"q": email})
    assert len(r.json()["items"]) == 1
