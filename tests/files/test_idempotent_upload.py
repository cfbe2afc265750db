"""A large upload sent with an Idempotency-Key: the middleware spools the body (memory, then
disk) instead of holding it in memory, the upload succeeds, and a retry replays the answer."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tack.config import Settings
from tests.conftest import Api
from tests.files.conftest import file_rows


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, upload_max_bytes=8 << 20)


async def test_large_keyed_upload_is_spooled_and_replayed(alice: Api, demo: dict[str, Any], rt: Any) -> None:
    content = b"line of text for the spool test\n" * (3 * 1024 * 1024 // 32)  # ~3 MiB: beyond the in-memory part
    boundary = "tack-test-boundary"
    # A retry resends the same bytes, so the multipart boundary is fixed here (httpx picks a new one).
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    headers = {"X-CSRF-Token": alice.csrf, "Idempotency-Key": "big-upload-1",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    url = f"/api/v1/orgs/{demo['org_id']}/files"
    r1 = await alice.client.post(url, content=body, headers=headers)
    assert r1.status_code == 201, r1.text
    assert r1.json()["size"] == len(content)
    r2 = await alice.client.post(url, content=body, headers=headers)
    assert r2.status_code == 201 and r2.headers.get("idempotent-replayed") == "true"
    assert r2.json()["id"] == r1.json()["id"]
    assert len(await file_rows(rt, demo["org_id"])) == 1
