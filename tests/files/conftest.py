"""File store tests: the fast demo organization (tests/directory/conftest.py), a small upload
limit so "too large" is cheap to reach, and helpers to upload and look at the store on disk."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tack.config import Settings
from tack.files.tables import files
from tack.runtime import Runtime
from tests.conftest import Api
from tests.directory.conftest import alice, demo, demo_rows  # noqa: F401 - the fast demo org, shared

LIMIT = 200_000  # bytes: the upload limit of these tests


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, upload_max_bytes=LIMIT)


def files_url(org_id: str, *parts: str) -> str:
    return "/".join([f"/api/v1/orgs/{org_id}/files", *parts])


async def upload(api: Api, org_id: str, content: bytes, name: str = "photo.png", content_type: str | None = "image/png",
                 purpose: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """POST one file as a browser would (multipart/form-data), with the session's CSRF header."""
    part: tuple[Any, ...] = (name, content) if content_type is None else (name, content, content_type)
    return await api.client.post(files_url(org_id), files={"file": part},
                                 data={"purpose": purpose} if purpose else None,
                                 headers={"X-CSRF-Token": api.csrf, **(headers or {})})


def store_root(rt: Runtime) -> Path:
    return Path(rt.settings.data_dir) / "files"


def stored_paths(rt: Runtime) -> list[Path]:
    """Every file in the store (outside the staging area)."""
    root = store_root(rt)
    return sorted(p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts) if root.exists() else []


def staged_paths(rt: Runtime) -> list[Path]:
    staging = store_root(rt) / ".staging"
    return sorted(staging.iterdir()) if staging.exists() else []


async def file_rows(rt: Runtime, org_id: str | None = None) -> list[dict[str, Any]]:
    q = sa.select(files).order_by(files.c.id)
    if org_id is not None:
        q = q.where(files.c.org_id == uuid.UUID(org_id))
    async with rt.db.transaction(write=False) as conn:
        return [dict(r) for r in (await conn.execute(q)).mappings()]
