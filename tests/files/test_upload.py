"""Uploading and downloading: the round trip, dedupe, sniffed types, file names, conditional
requests, and the refusals (too large, wrong type, empty, malformed) that store nothing."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from tack.core.tables import outbox
from tack.directory.tables import audit_log
from tack.files import sniff
from tack.runtime import Runtime
from tests.api.helpers import make_token
from tests.conftest import Api
from tests.files import samples
from tests.files.conftest import LIMIT, file_rows, files_url, staged_paths, store_root, stored_paths, upload

PROBLEM = "application/problem+json"


async def test_png_round_trip(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, png = demo["org_id"], samples.png()
    r = await upload(alice, org, png, name="photo.png", purpose="image")
    assert r.status_code == 201, r.text
    body = r.json()
    sha = hashlib.sha256(png).hexdigest()
    assert body["name"] == "photo.png" and body["content_type"] == "image/png" and body["declared_type"] == "image/png"
    assert body["size"] == len(png) and body["sha256"] == sha and body["purpose"] == "image"
    assert body["created_by"] == demo["members"]["alice@example.com"] and body["created_at"]
    assert body["url"] == files_url(org, body["id"], "content")

    meta = await alice.get(files_url(org, body["id"]))
    assert meta.status_code == 200 and meta.json() == body

    got = await alice.get(body["url"])
    assert got.status_code == 200, got.text
    assert got.content == png
    h = got.headers
    assert h["content-type"] == "image/png"
    assert h["content-disposition"] == 'inline; filename="photo.png"'
    assert h["etag"] == f'"{sha}"'
    assert h["cache-control"] == "private"
    assert h["x-content-type-options"] == "nosniff"
    assert h["content-length"] == str(len(png)) and "content-encoding" not in h

    # on disk: content-addressed under the organization, nothing left in staging
    assert stored_paths(rt) == [store_root(rt) / org / sha[:2] / sha]
    assert stored_paths(rt)[0].read_bytes() == png
    assert staged_paths(rt) == []
    # the row, its audit entry and its event, written together
    [row] = await file_rows(rt, org)
    assert row["storage_key"] == f"{org}/{sha[:2]}/{sha}" and row["size"] == len(png)
    async with rt.db.transaction(write=False) as conn:
        actions = (await conn.execute(sa.select(audit_log.c.action).where(
            audit_log.c.subject_id == body["id"]))).scalars().all()
        events = (await conn.execute(sa.select(outbox.c.type, outbox.c.data).where(
            outbox.c.subject == body["id"]))).all()
    assert actions == ["file.uploaded"]
    assert [(t, d["sha256"], d["size"]) for t, d in events] == [("file.uploaded", sha, len(png))]


async def test_same_bytes_are_stored_once(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org, png = demo["org_id"], samples.png()
    first = (await upload(alice, org, png, name="a.png")).json()
    second = (await upload(alice, org, png, name="b.png")).json()
    other = (await upload(alice, org, samples.png(rgb=(1, 2, 3)), name="c.png")).json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"] != other["sha256"]
    assert len(await file_rows(rt, org)) == 3
    assert len(stored_paths(rt)) == 2, "two rows, one stored copy"
    for f, name in ((first, "a.png"), (second, "b.png")):
        r = await alice.get(f["url"])
        assert r.content == png and name in r.headers["content-disposition"]


async def test_type_is_sniffed_not_trusted(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    cases = [
        # (bytes, name, declared, expected content type)
        (samples.png(), "invoice.pdf", "application/pdf", "image/png"),
        (samples.pdf(), "scan", None, "application/pdf"),
        (samples.pdf(), "scan.png", "image/png", "application/pdf"),
        (b"name,amount\nAnn,12.50\n", "costs.csv", "application/vnd.ms-excel", "text/csv"),
        (b"name,amount\nAnn,12.50\n", "costs.txt", "text/csv; charset=utf-8", "text/csv"),
        ("# Notes\n\nCafé ☕\n".encode(), "notes.md", "application/octet-stream", "text/markdown"),
        (b"<html><script>alert(1)</script></html>", "page.html", "text/html", "text/plain"),
        (samples.docx(), "report.docx", "application/zip", sniff.DOCX),
        (samples.xlsx(), "sheet.bin", None, sniff.XLSX),
        (samples.odt(), "letter.odt", "application/octet-stream", sniff.ODT),
        (samples.zip_of({"a.txt": b"a", "b/c.txt": b"c"}), "bundle.docx", sniff.DOCX, "application/zip"),
    ]
    for content, name, declared, expected in cases:
        r = await upload(alice, org, content, name=name, content_type=declared)
        assert r.status_code == 201, (name, r.text)
        assert r.json()["content_type"] == expected, (name, r.json())
        if declared is not None:
            assert r.json()["declared_type"] == sniff.normalize_type(declared), name
    # an HTML file is plain text to us: downloaded, never rendered
    html = [c for c in cases if c[1] == "page.html"][0]
    fid = (await upload(alice, org, html[0], name="page.html", content_type="text/html")).json()["url"]
    r = await alice.get(fid)
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment;")


async def test_refused_uploads_store_nothing(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    cases = [
        # (bytes, name, declared, purpose, status, path, rule)
        (b"", "empty.png", "image/png", None, 422, "$.file", "min-size"),
        (samples.binary(100), "tool.exe", "image/png", None, 422, "$.file", "content-type"),
        (samples.binary(50_000), "movie.mp4", "video/mp4", None, 422, "$.file", "content-type"),
        (b"MZ\x90\x00" + samples.binary(), "setup.png", "image/png", None, 422, "$.file", "content-type"),
        (samples.pdf(), "doc.pdf", "application/pdf", "avatar", 422, "$.file", "content-type"),
        (b"just text", "sig.png", "image/png", "signature", 422, "$.file", "content-type"),
        (samples.png(), "a.png", "image/png", "wallpaper", 400, "$.purpose", "enum"),
        (b"\x00" * (LIMIT + 1), "big.png", "image/png", None, 413, "$.file", "max-size"),
    ]
    for content, name, declared, purpose, status, path, rule in cases:
        r = await upload(alice, org, content, name=name, content_type=declared, purpose=purpose)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert [(e["path"], e["rule"]) for e in r.json()["errors"]] == [(path, rule)], (name, r.text)
    assert await file_rows(rt) == [] and stored_paths(rt) == [] and staged_paths(rt) == []


async def test_exactly_the_limit_is_accepted(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    content = b"x" * LIMIT
    r = await upload(alice, demo["org_id"], content, name="limit.txt", content_type="text/plain")
    assert r.status_code == 201, r.text
    r = await upload(alice, demo["org_id"], content + b"x", name="over.txt", content_type="text/plain")
    assert r.status_code == 413 and r.json()["max_bytes"] == LIMIT
    assert "195.3 KiB" in r.json()["detail"]
    assert len(await file_rows(rt)) == 1


async def test_oversized_stream_is_cut_off(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    """A body with no Content-Length (chunked), far larger than the limit: reading stops soon
    after the limit, the answer is 413, and neither a row nor a byte is kept. (httpx's own ASGI
    transport hands the body over chunk by chunk, as a server does; the test client reads it
    all first.)"""
    org, boundary, pulled = demo["org_id"], "tack-test-boundary", 0
    token = (await make_token(alice, org, kind="personal", scopes=["files:write"]))["token"]
    chunk = b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024 - 8)

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.png\"\r\n"
               f"Content-Type: image/png\r\n\r\n").encode()
        for _ in range(1000):  # 64 MB if read to the end
            pulled += 1
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    transport = httpx.ASGITransport(app=alice.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as raw:
        r = await raw.post(files_url(org), content=body(), headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413, r.text
    assert r.json()["errors"] == [{"path": "$.file", "message": r.json()["detail"], "rule": "max-size"}]
    assert pulled <= LIMIT // len(chunk) + 2, f"read {pulled} chunks of 64 KiB for a limit of {LIMIT} bytes"
    assert await file_rows(rt) == [] and stored_paths(rt) == [] and staged_paths(rt) == []
    # announced up front (Content-Length): refused without reading
    r = await alice.client.post(files_url(org), content=b"-" * (LIMIT + 70_000), headers={
        "X-CSRF-Token": alice.csrf, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413


async def test_malformed_requests(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    url, h = files_url(demo["org_id"]), {"X-CSRF-Token": alice.csrf}
    r = await alice.client.post(url, json={"file": "aGVsbG8="}, headers=h)
    assert r.status_code == 415 and r.json()["errors"][0]["rule"] == "media-type"
    r = await alice.client.post(url, data={"purpose": "image"}, files={"other": ("x.png", b"x")}, headers=h)
    assert r.status_code == 400 and r.json()["errors"][0] == {
        "path": "$.other", "message": r.json()["errors"][0]["message"], "rule": "unknown-field"}
    r = await alice.client.post(url, files={"file": ("", b"")}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "min-size"
    r = await alice.client.post(url, params={"note": "a\x00b"}, files={"file": ("a.png", samples.png())}, headers=h)
    assert r.status_code == 400 and r.json()["errors"] == [
        {"path": "note", "message": "must not contain the NUL character (U+0000)", "rule": "no-nul"}]
    boundary = "b0undary"
    only_purpose = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nimage\r\n"
                    f"--{boundary}--\r\n").encode()
    mp = {**h, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = await alice.client.post(url, content=only_purpose, headers=mp)
    assert r.status_code == 400 and [(e["path"], e["rule"]) for e in r.json()["errors"]] == [("$.file", "required")]
    truncated = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n"
                 ).encode() + samples.png()
    r = await alice.client.post(url, content=truncated, headers=mp)
    assert r.status_code == 400 and r.json()["errors"][0]["rule"] == "multipart"
    two = b"".join((f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{n}.png\"\r\n\r\n"
                    ).encode() + samples.png() + b"\r\n" for n in ("a", "b")) + f"--{boundary}--\r\n".encode()
    r = await alice.client.post(url, content=two, headers=mp)
    assert r.status_code == 400 and r.json()["errors"][0]["rule"] == "max-items"
    r = await alice.client.post(url, content=b"", headers={**h, "Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and r.json()["errors"][0]["rule"] == "boundary"
    # no CSRF header with a session: refused before anything is read
    r = await alice.client.post(url, files={"file": ("a.png", samples.png(), "image/png")})
    assert r.status_code == 403
    assert await file_rows(rt) == [] and stored_paths(rt) == [] and staged_paths(rt) == []


async def test_if_none_match(alice: Api, demo: dict[str, Any]) -> None:
    f = (await upload(alice, demo["org_id"], samples.png())).json()
    etag = f'"{f["sha256"]}"'
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = await alice.get(f["url"], headers={"If-None-Match": sent})
        assert r.status_code == 304, sent
        assert r.content == b"" and r.headers["etag"] == etag and r.headers["cache-control"] == "private"
    r = await alice.get(f["url"], headers={"If-None-Match": '"0000"'})
    assert r.status_code == 200 and r.content == samples.png()


async def test_file_names(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    cases = [
        ("Résumé 简历.pdf", "Résumé 简历.pdf", 'inline; filename="Resume __.pdf"; '
         "filename*=UTF-8''R%C3%A9sum%C3%A9%20%E7%AE%80%E5%8E%86.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf", 'inline; filename="passwd.pdf"'),
        ("C:\\Users\\ann\\scan.pdf", "scan.pdf", 'inline; filename="scan.pdf"'),
        ("evil\u202egpj.pdf", "evilgpj.pdf", 'inline; filename="evilgpj.pdf"'),
        ('quote"d; name.pdf', 'quote"d; name.pdf', "inline; filename=\"quote_d; name.pdf\"; "
         "filename*=UTF-8''quote%22d%3B%20name.pdf"),
        ("  ...  ", "file", 'inline; filename="file"'),
        ("Re\u0301sume\u0301.pdf", "Résumé.pdf", None),  # decomposed accents arrive composed (NFC)
    ]
    for sent, kept, disposition in cases:
        r = await upload(alice, org, samples.pdf(), name=sent, content_type="application/pdf")
        assert r.status_code == 201, (sent, r.text)
        assert r.json()["name"] == kept, sent
        got = await alice.get(r.json()["url"])
        if disposition is not None:
            assert got.headers["content-disposition"] == disposition, sent
        star = got.headers["content-disposition"].partition("filename*=UTF-8''")[2]
        assert unquote(star or kept) == kept or not star
    long = "a" * 300 + ".pdf"
    r = await upload(alice, org, samples.pdf(), name=long, content_type="application/pdf")
    assert r.json()["name"] == "a" * 196 + ".pdf"


async def test_unknown_and_malformed_ids(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    for url in (files_url(org, str(uuid.uuid4())), files_url(org, str(uuid.uuid4()), "content")):
        r = await alice.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    r = await alice.get(files_url(org, "not-a-uuid"))
    assert r.status_code == 400 and r.json()["errors"][0]["path"] == "file_id"
    r = await alice.delete(files_url(org, str(uuid.uuid4())))
    assert r.status_code == 404


async def test_damaged_file_is_not_served(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    f = (await upload(alice, demo["org_id"], samples.png())).json()
    [path] = stored_paths(rt)
    path.write_bytes(samples.png()[:-4])  # truncated on disk
    r = await alice.get(f["url"])
    assert r.status_code == 500 and r.json()["type"].endswith("/file-damaged")
    path.unlink()
    r = await alice.get(f["url"])
    assert r.status_code == 500 and "missing" in r.json()["detail"]
    # uploading the same bytes again heals the stored copy
    assert (await upload(alice, demo["org_id"], samples.png())).status_code == 201
    assert (await alice.get(f["url"])).content == samples.png()


async def test_upload_with_a_token_and_idempotency_key(client: AsyncTestClient[Any], alice: Api,
                                                      demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    t = await alice.post(f"/api/v1/orgs/{org}/tokens", {"name": "scanner", "kind": "organization",
                                                        "scopes": ["files:write"]})
    # the same body twice: a fixed multipart boundary (httpx would pick a new one each time)
    auth = {"Authorization": f"Bearer {t.json()['token']}", "Idempotency-Key": "scan-0001",
            "Content-Type": "multipart/form-data; boundary=fixed-boundary"}
    client.cookies.clear()
    sent = {"file": ("scan.pdf", samples.pdf(), "application/pdf")}
    first = await client.post(files_url(org), files=sent, headers=auth)
    assert first.status_code == 201, first.text
    assert first.json()["created_by"] is None, "an organization token is no member"
    again = await client.post(files_url(org), files=sent, headers=auth)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(await file_rows(rt, org)) == 1


async def test_a_failed_record_leaves_no_bytes_behind(alice: Api, demo: dict[str, Any], rt: Runtime,
                                                      monkeypatch: Any) -> None:
    """The bytes are placed before the row is written: when the transaction then fails, the
    bytes it placed are removed again, but never bytes another row uses."""
    from tack.files import service

    org = demo["org_id"]
    kept = (await upload(alice, org, samples.png(), name="kept.png")).json()

    async def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("the outbox is on fire")

    monkeypatch.setattr(service, "emit", broken)
    r = await upload(alice, org, samples.pdf(), name="lost.pdf", content_type="application/pdf")
    assert r.status_code == 500
    r = await upload(alice, org, samples.png(), name="same-bytes.png")
    assert r.status_code == 500
    monkeypatch.undo()
    assert [row["id"] for row in await file_rows(rt)] == [uuid.UUID(kept["id"])]
    assert stored_paths(rt) == [store_root(rt) / org / kept["sha256"][:2] / kept["sha256"]]
    assert staged_paths(rt) == []
    assert (await alice.get(kept["url"])).content == samples.png()
