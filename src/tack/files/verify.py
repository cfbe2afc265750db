"""`tack files verify`: re-hash every stored file and compare it with what its rows say.

Reading a file checks only its size (cheap, on every download); this reads every byte. It
reports stored copies that are missing or whose size or SHA-256 differ from their rows
(bit rot, a bad restore, a hand-edited directory), copies no row refers to (left by a crash
between placing the bytes and committing the row), and uploads abandoned in the staging area.
With `purge_orphans` it removes those last two, each under the same lock an upload takes, so a
copy an upload is committing right now is never removed.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tack.core.clock import SYSTEM_CLOCK, Clock
from tack.core.ctx import Actor, Ctx
from tack.core.db import Database
from tack.files.service import purge_bytes
from tack.files.storage import Storage
from tack.files.tables import files

PAGE = 1000
STALE_STAGING = 24 * 3600  # seconds: an upload in flight does not take a day


@dataclass
class Finding:
    kind: str  # missing | mismatch
    org_id: uuid.UUID
    storage_key: str
    file_ids: list[uuid.UUID]
    expected_size: int
    expected_sha256: str
    found_size: int | None = None
    found_sha256: str | None = None

    def describe(self) -> str:
        ids = ", ".join(str(i) for i in self.file_ids)
        if self.kind == "missing":
            return f"MISSING   {self.storage_key}  (file {ids})"
        return (f"MISMATCH  {self.storage_key}  (file {ids}): expected {self.expected_size} bytes "
                f"sha256 {self.expected_sha256}, found {self.found_size} bytes sha256 {self.found_sha256}")


@dataclass
class Report:
    rows: int = 0
    checked: int = 0  # stored copies re-hashed
    findings: list[Finding] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    stale_staging: list[Path] = field(default_factory=list)
    purged: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings


async def _hash(storage: Storage, key: str) -> tuple[int, str] | None:
    blob = await storage.open(key)
    if blob is None:
        return None
    h, size = hashlib.sha256(), 0
    async for chunk in blob.chunks():
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


async def _stored_copies(db: Database, org_id: uuid.UUID | None) -> list[tuple[uuid.UUID, str, str, int]]:
    """Distinct (org_id, storage_key, sha256, size) of the rows, read a page at a time (keys
    start with the organization's id, so they order by organization too)."""
    out: list[tuple[uuid.UUID, str, str, int]] = []
    order = (files.c.storage_key, files.c.sha256, files.c.size)
    after: tuple[str, str, int] | None = None
    while True:
        q = sa.select(files.c.org_id, *order).distinct().order_by(*order).limit(PAGE)
        if org_id is not None:
            q = q.where(files.c.org_id == org_id)
        if after is not None:
            q = q.where(sa.tuple_(*order) > sa.tuple_(*(sa.literal(v) for v in after)))
        async with db.transaction(write=False) as conn:
            page = [(r[0], r[1], r[2], r[3]) for r in (await conn.execute(q)).all()]
        out += page
        if len(page) < PAGE:
            return out
        after = page[-1][1:]


async def verify_store(db: Database, storage: Storage, *, org_id: uuid.UUID | None = None,
                       purge_orphans: bool = False, clock: Clock = SYSTEM_CLOCK) -> Report:
    report = Report()
    async with db.transaction(write=False) as conn:
        q = sa.select(sa.func.count()).select_from(files)
        report.rows = (await conn.execute(q if org_id is None else q.where(files.c.org_id == org_id))).scalar_one()
    referenced: set[str] = set()
    for org, key, sha256, size in await _stored_copies(db, org_id):
        referenced.add(key)
        report.checked += 1
        found = await _hash(storage, key)
        if found is not None and found == (size, sha256):
            continue
        async with db.transaction(write=False) as conn:
            ids = list((await conn.execute(sa.select(files.c.id).where(
                files.c.org_id == org, files.c.storage_key == key).order_by(files.c.id))).scalars())
        report.findings.append(Finding(
            kind="missing" if found is None else "mismatch", org_id=org, storage_key=key, file_ids=ids,
            expected_size=size, expected_sha256=sha256, found_size=found[0] if found else None,
            found_sha256=found[1] if found else None))
    async for key in storage.keys():
        if key not in referenced and (org_id is None or key.startswith(f"{org_id}/")):
            report.orphans.append(key)
    if org_id is None and storage.staging_dir.is_dir():
        cutoff = time.time() - STALE_STAGING
        report.stale_staging = sorted(p for p in storage.staging_dir.iterdir()
                                      if p.is_file() and p.stat().st_mtime < cutoff)
    if purge_orphans:
        for key in report.orphans:
            owner, _prefix, sha256 = key.split("/")
            async with db.transaction() as conn:
                ctx = Ctx(org_id=uuid.UUID(owner), actor=Actor.system("files.verify"), conn=conn, clock=clock)
                report.purged += await purge_bytes(ctx, sha256, storage)
        for path in report.stale_staging:
            path.unlink(missing_ok=True)
    return report
