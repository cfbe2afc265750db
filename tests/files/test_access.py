"""Who may do what with files: members upload and read, the uploader or an admin deletes,
tokens need `files:read` / `files:write`, and another organization sees nothing. Deleting
removes the row at once and the bytes later (the purge job), only when no row still uses them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.core.jobs import JobRunner
from tack.core.tables import jobs, outbox
from tack.runtime import Runtime
from tests.api.helpers import make_token, new_org, snapshot
from tests.conftest import Api
from tests.directory.conftest import sign_in
from tests.files import samples
from tests.files.conftest import file_rows, files_url, stored_paths, upload


async def test_delete_then_purge_keeps_bytes_still_in_use(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, png = demo["org_id"], samples.png()
    a = (await upload(alice, org, png, name="a.png")).json()
    b = (await upload(alice, org, png, name="b.png")).json()
    assert len(stored_paths(rt)) == 1

    r = await alice.delete(files_url(org, a["id"]))
    assert r.status_code == 204, r.text
    assert (await alice.get(files_url(org, a["id"]))).status_code == 404
    assert (await alice.get(a["url"])).status_code == 404
    async with rt.db.transaction(write=False) as conn:
        kinds = (await conn.execute(sa.select(jobs.c.kind, jobs.c.payload).where(jobs.c.state == "pending"))).all()
        events = (await conn.execute(sa.select(outbox.c.type).where(outbox.c.subject == a["id"]))).scalars().all()
    assert kinds == [("files.purge", {"sha256": a["sha256"]})]
    assert events == ["file.uploaded", "file.deleted"]
    assert await JobRunner(rt.db, rt.clock).drain() == 1
    assert len(stored_paths(rt)) == 1, "b still uses the bytes"
    assert (await alice.get(b["url"])).content == png

    assert (await alice.delete(files_url(org, b["id"]))).status_code == 204
    assert len(stored_paths(rt)) == 1, "the bytes go with the job, not with the request"
    assert await JobRunner(rt.db, rt.clock).drain() == 1
    assert stored_paths(rt) == [] and await file_rows(rt) == []
    async with rt.db.transaction(write=False) as conn:
        states = (await conn.execute(sa.select(jobs.c.state))).scalars().all()
    assert states == ["done", "done"]

    # the same bytes uploaded again after the purge are stored again
    c = (await upload(alice, org, png, name="c.png")).json()
    assert (await alice.get(c["url"])).content == png


async def test_purge_after_reupload_keeps_the_new_copy(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    """Deleted, then uploaded again before the purge job ran: the job finds a row and keeps the bytes."""
    org, png = demo["org_id"], samples.png()
    a = (await upload(alice, org, png)).json()
    assert (await alice.delete(files_url(org, a["id"]))).status_code == 204
    again = (await upload(alice, org, png)).json()
    await JobRunner(rt.db, rt.clock).drain()
    assert (await alice.get(again["url"])).content == png


async def test_who_may_delete(client: AsyncTestClient[Any], demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    carol = await sign_in(client, "carol@example.com")
    f = (await upload(carol, org, samples.png(), name="carol.png")).json()
    assert (await carol.get(f["url"])).status_code == 200

    frank = await sign_in(client, "frank@example.com")  # another member reads it, may not delete it
    assert (await frank.get(f["url"])).content == samples.png()
    r = await frank.delete(files_url(org, f["id"]))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    grace = await sign_in(client, "grace@example.com")  # a sub-admin neither
    assert (await grace.delete(files_url(org, f["id"]))).status_code == 403
    assert len(await file_rows(rt, org)) == 1

    leo = await sign_in(client, "leo@example.com")  # an admin may
    assert (await leo.delete(files_url(org, f["id"]))).status_code == 204
    carol = await sign_in(client, "carol@example.com")  # and the uploader may delete her own
    g = (await upload(carol, org, samples.pdf(), name="mine.pdf", content_type="application/pdf")).json()
    assert (await carol.delete(files_url(org, g["id"]))).status_code == 204
    assert await file_rows(rt, org) == []


async def test_token_scopes(client: AsyncTestClient[Any], alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    f = (await upload(alice, org, samples.png())).json()
    tokens = {scopes: (await make_token(alice, org, kind="personal", scopes=list(scopes), name=",".join(scopes)))["token"]
              for scopes in (("directory:read",), ("files:read",), ("files:write",))}
    client.cookies.clear()

    def auth(scopes: tuple[str, ...]) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[scopes]}"}

    def send() -> dict[str, Any]:
        return {"files": {"file": ("t.png", samples.png(rgb=(9, 9, 9)), "image/png")}}

    # no files scope: nothing
    for r, needed in ((await client.get(files_url(org, f["id"]), headers=auth(("directory:read",))), "files:read"),
                      (await client.get(f["url"], headers=auth(("directory:read",))), "files:read"),
                      (await client.post(files_url(org), headers=auth(("directory:read",)), **send()), "files:write"),
                      (await client.delete(files_url(org, f["id"]), headers=auth(("directory:read",))), "files:write")):
        assert r.status_code == 403 and r.json()["required_scope"] == needed, r.text
    # files:read reads, does not write
    assert (await client.get(f["url"], headers=auth(("files:read",)))).content == samples.png()
    r = await client.post(files_url(org), headers=auth(("files:read",)), **send())
    assert r.status_code == 403 and r.json()["required_scope"] == "files:write"
    # files:write writes, and reads what it wrote
    r = await client.post(files_url(org), headers=auth(("files:write",)), **send())
    assert r.status_code == 201, r.text
    assert r.json()["created_by"] == demo["members"]["alice@example.com"], "a personal token acts as its person"
    assert (await client.get(r.json()["url"], headers=auth(("files:write",)))).status_code == 200
    assert (await client.delete(files_url(org, r.json()["id"]), headers=auth(("files:write",)))).status_code == 204
    scopes = {s["name"] for s in (await client.get("/api/v1/scopes")).json()["items"]}
    assert {"files:read", "files:write"} <= scopes


async def test_other_organizations_see_nothing(client: AsyncTestClient[Any], alice: Api, demo: dict[str, Any],
                                               rt: Runtime) -> None:
    org_a = demo["org_id"]
    f = (await upload(alice, org_a, samples.png(), name="secret.png")).json()

    bob_b, org_b = await new_org(client, rt)
    token_b = (await make_token(bob_b, org_b, kind="organization", scopes=["files:read", "files:write"]))["token"]
    own = await upload(bob_b, org_b, samples.png(), name="own.png")
    assert own.status_code == 201, "the same bytes in B: B's own copy"
    assert len(stored_paths(rt)) == 2 and own.json()["sha256"] == f["sha256"]
    before, stored = await snapshot(rt, org_a), stored_paths(rt)

    session = {"X-CSRF-Token": bob_b.csrf}
    for headers in (session, {"Authorization": f"Bearer {token_b}"}):
        if "Authorization" in headers:
            client.cookies.clear()
        for url in (files_url(org_a, f["id"]), f["url"],  # A's path
                    files_url(org_b, f["id"]), files_url(org_b, f["id"], "content")):  # A's id under B's path
            r = await client.get(url, headers=headers)
            assert r.status_code == 404 and "secret" not in r.text, (url, r.text)
            r = await client.delete(url.removesuffix("/content"), headers=headers)
            assert r.status_code == 404, (url, r.text)
        r = await client.post(files_url(org_a), headers=headers,
                              files={"file": ("x.png", samples.png(rgb=(5, 5, 5)), "image/png")})
        assert r.status_code == 404, r.text
    assert await snapshot(rt, org_a) == before
    assert stored_paths(rt) == stored


async def test_find_files_answers_for_this_organization_only(client: AsyncTestClient[Any], alice: Api,
                                                            demo: dict[str, Any], rt: Runtime) -> None:
    """What records will use to check the file ids of a submission, in one query."""
    import uuid

    from tack.files.service import find_files
    from tests.directory.conftest import system_ctx

    org_a = demo["org_id"]
    a = (await upload(alice, org_a, samples.png())).json()
    bob_b, org_b = await new_org(client, rt)
    b = (await upload(bob_b, org_b, samples.pdf(), name="b.pdf", content_type="application/pdf")).json()
    unknown = uuid.uuid4()
    async with system_ctx(rt, org_a, write=False) as ctx:
        found = await find_files(ctx, [uuid.UUID(a["id"]), uuid.UUID(b["id"]), unknown, uuid.UUID(a["id"])])
        assert await find_files(ctx, []) == {}
    assert list(found) == [uuid.UUID(a["id"])]
    assert found[uuid.UUID(a["id"])].content_type == "image/png" and found[uuid.UUID(a["id"])].url == a["url"]
