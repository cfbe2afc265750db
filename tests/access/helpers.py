"""A tasks app the permission and view tests share, and small request helpers."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tack.auth import sessions
from tack.directory.users import find_user_by_email
from tack.runtime import Runtime
from tests.conftest import Api

TASKS: dict[str, Any] = {
    "name": "Tasks",
    "fields": [
        {"id": "f_title001", "name": "Title", "type": "text", "required": True},
        {"id": "f_amount01", "name": "Amount", "type": "number"},
        {"id": "f_status01", "name": "Status", "type": "select", "settings": {"options": [
            {"id": "open", "label": "Open", "color": "blue"}, {"id": "done", "label": "Done"}]}},
        {"id": "f_due00001", "name": "Due", "type": "date"},
        {"id": "f_photo001", "name": "Photo", "type": "image"},
        {"id": "f_secret01", "name": "Secret", "type": "text"},
        {"id": "f_notes001", "name": "Notes", "type": "textarea"},
        {"id": "f_sect0001", "name": "More", "type": "section"},
    ],
}


class Person(Api):
    """A signed-in person whose session is put back on the shared client before each request, so
    several people can take turns in one test without signing in again."""

    def __init__(self, client: AsyncTestClient[Any], csrf: str, session: str) -> None:
        super().__init__(client, csrf, {})
        self.session = session

    def _use(self) -> None:
        self.client.cookies.clear()
        self.client.cookies.set(sessions.COOKIE, self.session)

    async def get(self, url: str, **kw: Any) -> Any:
        self._use()
        return await super().get(url, **kw)

    async def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        self._use()
        return await super().post(url, json, headers)

    async def patch(self, url: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        self._use()
        return await super().patch(url, json, headers)

    async def delete(self, url: str, headers: dict[str, str] | None = None) -> Any:
        self._use()
        return await super().delete(url, headers)


class Org:
    """The demo organization seen through the API: sign in as anyone by first name."""

    def __init__(self, client: AsyncTestClient[Any], demo: dict[str, Any]) -> None:
        self.client, self.demo = client, demo
        self.id = demo["org_id"]
        self.base = f"/api/v1/orgs/{self.id}"
        self.people: dict[str, Person] = {}

    async def as_(self, name: str) -> Person:
        """`name` signed in (once per test; a session row, without the cost of a password check)."""
        if name not in self.people:
            rt: Runtime = self.client.app.state["runtime"]
            async with rt.db.transaction() as conn:
                user = await find_user_by_email(conn, f"{name}@example.com")
                assert user is not None, name
                value, csrf = await sessions.create_session(conn, rt.clock, user["id"], days=1)
            self.people[name] = Person(self.client, csrf, value)
        return self.people[name]

    def member(self, name: str) -> str:
        return str(self.demo["members"][f"{name}@example.com"])

    def dept(self, name: str) -> str:
        return str(self.demo["departments"][name])

    async def role(self, name: str) -> str:
        api = await self.as_("alice")
        roles = (await api.get(f"{self.base}/roles")).json()["items"]
        return str(next(r["id"] for r in roles if r["name"] == name))

    async def tasks_app(self) -> tuple[str, str]:
        """A new app with the Tasks form, made by the owner; (app id, form id)."""
        api = await self.as_("alice")
        r = await api.post(f"{self.base}/apps", {"name": "Tasks"})
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        r = await api.post(f"{self.base}/apps/{app_id}/forms", TASKS)
        assert r.status_code == 201, r.text
        return app_id, r.json()["id"]

    async def groups(self, app_id: str) -> list[dict[str, Any]]:
        api = await self.as_("alice")
        r = await api.get(f"{self.base}/apps/{app_id}/permission-groups")
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    async def set_everyone(self, app_id: str, **changes: Any) -> dict[str, Any]:
        everyone = next(g for g in await self.groups(app_id) if g["name"] == "Everyone")
        api = await self.as_("alice")
        r = await api.patch(f"{self.base}/permission-groups/{everyone['id']}", changes)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def add_group(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        api = await self.as_("alice")
        r = await api.post(f"{self.base}/apps/{app_id}/permission-groups", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def submit(self, name: str, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        api = await self.as_(name)
        r = await api.post(f"{self.base}/forms/{form_id}/records", {"data": data})
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def titles(self, name: str, form_id: str) -> set[str]:
        """The titles of the records `name` sees in the form's list."""
        api = await self.as_(name)
        r = await api.get(f"{self.base}/forms/{form_id}/records", params={"limit": 200})
        assert r.status_code == 200, r.text
        return {i["data"].get("f_title001") for i in r.json()["items"]}
