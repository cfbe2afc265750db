"""The file store's commands and queries: record an upload, read, delete, purge.

The bytes of an organization's files are content-addressed (`storage.blob_key`), so several rows
may share one stored copy. Whoever places or removes a copy holds the copy's lock for the rest
of its transaction: an upload places the bytes and inserts its row under it, the purge job
counts the rows still using the bytes and deletes them under it. So a purge can never remove
bytes an upload is about to refer to. On PostgreSQL the lock is a transaction-level advisory
lock per (organization, sha256); on SQLite write transactions are serialized anyway.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from tack.auth.policy import require
from tack.core.clock import Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.core.errors import NotFound, Problem
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.jobs import enqueue, job
from tack.directory import audit
from tack.files.models import FileInfo
from tack.files.storage import Blob, Storage, blob_key, current_storage
from tack.files.tables import files
from tack.files.upload import StagedUpload

log = logging.getLogger(__name__)
PURGE_JOB = "files.purge"


class FileDamaged(Problem):
    status, slug, title = 500, "file-damaged", "The stored file is damaged"


def content_url(org_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"/api/v1/orgs/{org_id}/files/{file_id}/content"


def file_info(row: sa.RowMapping) -> FileInfo:
    return FileInfo(id=row["id"], name=row["name"], content_type=row["content_type"],
                    declared_type=row["declared_type"], size=row["size"], sha256=row["sha256"],
                    purpose=row["purpose"], created_by=row["created_by"], created_at=row["created_at"],
                    url=content_url(row["org_id"], row["id"]))


async def can_read(ctx: Ctx, row: sa.RowMapping) -> bool:
    """May the caller read this file? The one place that answers it.

    For now: every active member of the organization (the HTTP layer has made sure the caller
    is one) and the organization's tokens with `files:read`. When records hold files, this
    narrows to those who may read a record that refers to the file (or who uploaded it); a file
    the caller may not read is "not found", like another organization's."""
    return True


async def _file_row(ctx: Ctx, file_id: uuid.UUID) -> sa.RowMapping:
    row = (await ctx.conn.execute(sa.select(files).where(
        files.c.org_id == ctx.org_id, files.c.id == file_id))).mappings().first()
    if row is None or not await can_read(ctx, row):
        raise NotFound("No such file in this organization.")
    return row


async def lock_bytes(ctx: Ctx, sha256: str) -> None:
    """Hold the lock of one stored copy until the caller's transaction ends (see the module)."""
    if ctx.conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"tack.files:{ctx.org_id}:{sha256}".encode()).digest()
        await ctx.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": int.from_bytes(digest[:8], "big", signed=True)})


# -- commands -----------------------------------------------------------------------------------

async def record_upload(ctx: Ctx, staged: StagedUpload, storage: Storage) -> FileInfo:
    """Keep a checked upload: its bytes go into place (once per organization and content) and
    its row, audit entry and `file.uploaded` event are written in the caller's transaction."""
    require(ctx.actor, "file.write")
    key = blob_key(ctx.org_id, staged.sha256)
    await lock_bytes(ctx, staged.sha256)
    # Bytes first, then the row: a crash between the two leaves unreferenced bytes (which
    # `tack files verify --purge-orphans` removes), never a row without bytes.
    await storage.put(key, staged.path)
    file_id = new_id()
    now = ctx.now()
    await ctx.conn.execute(files.insert().values(
        org_id=ctx.org_id, id=file_id, name=staged.name, content_type=staged.content_type,
        declared_type=(staged.declared_type or None), size=staged.size, sha256=staged.sha256, storage_key=key,
        purpose=staged.purpose, created_by=ctx.actor.member_id, created_at=now))
    facts = {"name": staged.name, "content_type": staged.content_type, "size": staged.size,
             "sha256": staged.sha256, "purpose": staged.purpose}
    await audit.record(ctx, "file.uploaded", "file", file_id, facts)
    await emit(ctx, "file.uploaded", str(file_id), {"id": file_id, **facts, "created_by": ctx.actor.member_id})
    return await get_file(ctx, file_id)


async def delete_file(ctx: Ctx, file_id: uuid.UUID) -> None:
    """Delete a file (its uploader, or an admin). The row goes now; the bytes go with the
    `files.purge` job, once no other row of the organization uses them."""
    require(ctx.actor, "file.write")
    row = await _file_row(ctx, file_id)
    if row["created_by"] is None or row["created_by"] != ctx.actor.member_id:
        require(ctx.actor, "file.delete_any")
    await ctx.conn.execute(files.delete().where(files.c.org_id == ctx.org_id, files.c.id == file_id))
    await audit.record(ctx, "file.deleted", "file", file_id, {"name": row["name"], "sha256": row["sha256"]})
    await emit(ctx, "file.deleted", str(file_id), {"id": file_id, "sha256": row["sha256"]})
    await enqueue(ctx, PURGE_JOB, {"sha256": row["sha256"]})


async def purge_bytes(ctx: Ctx, sha256: str, storage: Storage) -> bool:
    """Remove the organization's stored copy of `sha256` if no row uses it; True if removed."""
    await lock_bytes(ctx, sha256)
    used = (await ctx.conn.execute(sa.select(sa.func.count()).select_from(files).where(
        files.c.org_id == ctx.org_id, files.c.sha256 == sha256))).scalar_one()
    if used:
        return False
    return await storage.delete(blob_key(ctx.org_id, sha256))


async def forget_unrecorded(db: Database, clock: Clock, org_id: uuid.UUID, sha256: str, storage: Storage) -> None:
    """After an upload failed to record (its transaction rolled back), its bytes may be in place
    with no row: remove them, unless another row uses them. Best effort: `tack files verify
    --purge-orphans` finds what this misses."""
    try:
        async with db.transaction() as conn:
            ctx = Ctx(org_id=org_id, actor=Actor.system("files.upload"), conn=conn, clock=clock)
            await purge_bytes(ctx, sha256, storage)
    except Exception:
        log.exception("could not clean up after a failed upload to org %s", org_id)


@job(PURGE_JOB)
async def _purge_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    await purge_bytes(ctx, str(payload["sha256"]), current_storage())


# -- queries ------------------------------------------------------------------------------------

async def get_file(ctx: Ctx, file_id: uuid.UUID) -> FileInfo:
    require(ctx.actor, "file.read")
    return file_info(await _file_row(ctx, file_id))


async def find_files(ctx: Ctx, file_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, FileInfo]:
    """The files of this organization among `file_ids` that the caller may read, in one query
    (for records checking the file ids a submission refers to: an id missing from the answer
    does not exist here)."""
    require(ctx.actor, "file.read")
    wanted = list(dict.fromkeys(file_ids))
    if not wanted:
        return {}
    rows = (await ctx.conn.execute(sa.select(files).where(
        files.c.org_id == ctx.org_id, files.c.id.in_(wanted)))).mappings().all()
    return {r["id"]: file_info(r) for r in rows if await can_read(ctx, r)}


async def file_for_download(ctx: Ctx, file_id: uuid.UUID) -> sa.RowMapping:
    """The row of a file whose bytes the caller is about to read (checked like its details)."""
    require(ctx.actor, "file.read")
    return await _file_row(ctx, file_id)


async def open_content(row: sa.RowMapping, storage: Storage) -> Blob:
    """The stored bytes, opened, after the cheap check that they are all there (their size);
    `tack files verify` does the thorough one (their hash)."""
    blob = await storage.open(row["storage_key"])
    if blob is None:
        log.error("file %s of org %s: its stored bytes are missing", row["id"], row["org_id"])
        raise FileDamaged("The stored bytes of this file are missing; an operator can check the store "
                          "with `tack files verify`.")
    if blob.size != row["size"]:
        blob.close()
        log.error("file %s of org %s: stored size %s, expected %s", row["id"], row["org_id"], blob.size,
                  row["size"])
        raise FileDamaged("The stored bytes of this file are damaged; an operator can check the store "
                          "with `tack files verify`.")
    return blob
