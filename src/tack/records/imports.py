"""Importing records from a spreadsheet (CSV or XLSX), as a durable job with a progress bar.

An import names a file already in the file store and the form it fills. Creating it reads the
file's header, matches columns to fields (by name, or as the caller maps them) and starts a
job. A *dry run* checks every row the way a submission would be checked and stores nothing but
its findings: each bad line and column with the rule it broke and what to do (the first 1,000,
and how many in all). A *commit* checks again (the directory and the stored records may have
changed since) and stores every row, or none: one transaction, each record written like a
submission (revision, event, serial number, unique fields).

Memory stays bounded whatever the file's size: rows stream from the file a chunk at a time and
each chunk is checked (people looked up in one query) and written before the next is read.
Progress is reported while the job runs: through short transactions of their own on
PostgreSQL, and through this process's memory on SQLite, whose single writer is the import.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.access.models import FormAccess
from tack.access.service import form_access, primary_department
from tack.apps.service import compiled_form, form_row
from tack.auth.policy import require
from tack.core.ctx import Actor, Ctx
from tack.core.db import dialect_of
from tack.core.errors import Conflict, FieldError, Forbidden, NotFound, Problem, ValidationFailed
from tack.core.events import emit
from tack.core.ids import new_id
from tack.core.jobs import enqueue, job
from tack.core.pagination import decode_cursor, encode_cursor
from tack.directory.tables import members, orgs
from tack.files.service import file_for_download, open_content
from tack.files.storage import LocalStorage, StagingFile, current_storage
from tack.forms.definition import CompiledForm
from tack.forms.fields import ValueContext
from tack.forms.values import clean_submission
from tack.records.import_batch import UniqueGuard, insert_records
from tack.records.import_cells import (
    Column,
    Pending,
    read_row,
    resolve_chunk,
    resolve_columns,
    unmapped_required,
)
from tack.records.import_tables import record_import_errors, record_imports
from tack.records.spreadsheets import SheetError, format_of, open_sheet, take
from tack.records.transfer_models import (
    ImportColumn,
    ImportCreate,
    ImportList,
    ImportProblem,
    ImportProblemList,
    ImportStatus,
)

log = logging.getLogger(__name__)

IMPORT_JOB = "records.import"
CHUNK = 500  # rows checked, looked up and written together
MAX_ROWS = 100_000  # rows one import takes (split bigger files)
MAX_KEPT = 1000  # problems kept per run; the rest are counted
_FIELD_PATH = re.compile(r"^\$\.([^.\[]+)(.*)$")


# -- commands ------------------------------------------------------------------------------------

async def create_import(ctx: Ctx, form_id: uuid.UUID, body: ImportCreate) -> ImportStatus:
    """Check the file and the mapping, then start the job (a dry run, or a direct commit)."""
    require(ctx.actor, "record.write")
    form = await form_row(ctx, form_id)
    access = await _require_submit(ctx, form_id)
    compiled = await compiled_form(ctx, form_id, form["version"])
    try:
        file = await file_for_download(ctx, body.file_id)
    except NotFound:
        raise ValidationFailed.field("$.file_id", "No such file: upload it with POST /files first.", "exists") from None
    try:
        fmt = format_of(file["content_type"], file["name"])
        async with _local_file(file) as path:
            header, encoding, delimiter = await asyncio.to_thread(_peek, path, fmt, body.sheet)
    except SheetError as exc:
        raise ValidationFailed("The file cannot be imported.", errors=[FieldError(
            path="$.sheet" if exc.rule == "sheet" else "$.file_id", message=_at_line(exc), rule=exc.rule)],
            extra={"line": exc.line} if exc.line else None) from None
    columns = resolve_columns(compiled, header, body.mapping, readonly=access.readonly_fields)
    import_id = new_id()
    await ctx.conn.execute(record_imports.insert().values(
        org_id=ctx.org_id, id=import_id, form_id=form_id, file_id=body.file_id, file_name=file["name"], format=fmt,
        encoding=encoding, delimiter=delimiter, sheet=body.sheet, mapping=dict(body.mapping),
        columns=[c.as_json() for c in columns], state="pending", dry_run=body.dry_run, total_rows=None,
        processed_rows=0, created_rows=0, error_count=0, summary={}, actor=_actor_json(ctx.actor),
        created_by=ctx.actor.member_id, created_at=ctx.now()))
    await enqueue(ctx, IMPORT_JOB, {"import_id": str(import_id)}, max_attempts=3)
    return await get_import(ctx, import_id)


async def commit_import(ctx: Ctx, import_id: uuid.UUID) -> ImportStatus:
    """Store the rows of a dry run that found no problem (checked again as they are stored)."""
    require(ctx.actor, "record.write")
    row = await _row(ctx, import_id)
    await _require_submit(ctx, row["form_id"])
    if row["state"] != "dry_run_done":
        raise Conflict(f"Only a finished dry run can be committed; this import is {row['state']}.",
                       extra={"state": row["state"]})
    if row["error_count"]:
        raise ValidationFailed(f"The dry run found {row['error_count']} problem(s); fix the file and import it again. "
                               "Nothing was stored.", errors=await _first_problems(ctx, import_id),
                               extra={"error_count": row["error_count"]})
    res = await ctx.conn.execute(record_imports.update().where(
        record_imports.c.org_id == ctx.org_id, record_imports.c.id == import_id,
        record_imports.c.state == "dry_run_done").values(
        state="pending", dry_run=False, processed_rows=0, started_at=None, finished_at=None,
        actor=_actor_json(ctx.actor)))
    if res.rowcount != 1:
        raise Conflict("The import changed meanwhile; reload it.")
    await enqueue(ctx, IMPORT_JOB, {"import_id": str(import_id)}, max_attempts=3)
    return await get_import(ctx, import_id)


# -- queries -------------------------------------------------------------------------------------

async def get_import(ctx: Ctx, import_id: uuid.UUID) -> ImportStatus:
    require(ctx.actor, "record.read")
    return _status(await _row(ctx, import_id))


async def list_imports(ctx: Ctx, form_id: uuid.UUID, *, cursor: str | None = None, limit: int = 50) -> ImportList:
    """A form's imports, newest first."""
    require(ctx.actor, "record.read")
    await form_row(ctx, form_id)
    q = sa.select(record_imports).where(record_imports.c.org_id == ctx.org_id, record_imports.c.form_id == form_id)
    key = decode_cursor(cursor, uuid.UUID)
    if key is not None:
        q = q.where(record_imports.c.id < key[0])
    rows = (await ctx.conn.execute(q.order_by(record_imports.c.id.desc()).limit(limit + 1))).mappings().all()
    items = [_status(r) for r in rows[:limit]]
    return ImportList(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if len(rows) > limit else None)


async def list_problems(ctx: Ctx, import_id: uuid.UUID, *, cursor: str | None = None, limit: int = 100
                        ) -> ImportProblemList:
    """The problems the import's latest run found, in file order."""
    require(ctx.actor, "record.read")
    row = await _row(ctx, import_id)
    e = record_import_errors
    q = sa.select(e).where(e.c.org_id == ctx.org_id, e.c.import_id == import_id)
    key = decode_cursor(cursor, int)
    if key is not None:
        q = q.where(e.c.seq > key[0])
    rows = (await ctx.conn.execute(q.order_by(e.c.seq).limit(limit + 1))).mappings().all()
    items = [_problem(r) for r in rows[:limit]]
    return ImportProblemList(items=items, total=row["error_count"],
                             next_cursor=encode_cursor([rows[limit - 1]["seq"]]) if len(rows) > limit else None)


# -- the job -------------------------------------------------------------------------------------

@job(IMPORT_JOB)
async def _import_job(ctx: Ctx, payload: dict[str, Any]) -> None:
    await run_import(ctx, uuid.UUID(str(payload["import_id"])))


@dataclass
class _Findings:
    """What a run found: the first problems in full, all of them counted."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_column: dict[str, int] = field(default_factory=dict)
    message: str | None = None  # why the run stopped, when it did

    def add(self, line: int | None, column: Column | None, form: CompiledForm | None, field_id: str | None,
            rule: str, message: str, value: str | None = None) -> None:
        self.total += 1
        self.by_rule[rule] = self.by_rule.get(rule, 0) + 1
        if column is not None:
            self.by_column[column.header] = self.by_column.get(column.header, 0) + 1
        if len(self.kept) < MAX_KEPT:
            c = form.by_key.get(field_id) if form is not None and field_id else None
            self.kept.append({"line": line, "column_number": column.number if column else None,
                              "column": column.header[:200] if column else None, "field_id": field_id,
                              "field_name": c.fd.name if c is not None else None, "rule": rule[:40],
                              "message": message[:1000], "value": value[:200] if value else None})

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"by_rule": self.by_rule, "by_column": self.by_column}
        if self.message:
            out["message"] = self.message
        return out


async def run_import(job_ctx: Ctx, import_id: uuid.UUID) -> None:
    """One run of an import: check (and, for a commit, store) every row. Its outcome is written
    in the job's own transaction; the records with it, all or none."""
    row = (await job_ctx.conn.execute(sa.select(record_imports).where(
        record_imports.c.org_id == job_ctx.org_id, record_imports.c.id == import_id))).mappings().first()
    if row is None or row["state"] not in ("pending", "running"):
        return  # done already (a job run twice): nothing to do
    findings = _Findings()
    progress = _Progress(job_ctx, import_id)
    created = processed = 0
    total: int | None = None
    try:
        ctx = Ctx(org_id=job_ctx.org_id, actor=await _importer(job_ctx, row["actor"]), conn=job_ctx.conn,
                  clock=job_ctx.clock)
        require(ctx.actor, "record.write")
        access = await _require_submit(ctx, row["form_id"])
        run = _Run(ctx, row, findings, progress, access.readonly_fields)
        await run.go()
        created, processed, total = run.created, run.processed, run.total
    except SheetError as exc:
        findings.add(exc.line, None, None, None, exc.rule, exc.message)
        findings.message = _at_line(exc)
    except Problem as exc:
        for e in exc.errors or [FieldError(path="$", message=str(exc), rule=exc.slug)]:
            findings.add(None, None, None, None, e.rule, e.message)
        findings.message = str(exc)
    except Exception:
        log.exception("import %s of org %s failed", import_id, job_ctx.org_id)
        findings.add(None, None, None, None, "internal", "The import failed unexpectedly; try again, or ask an "
                     "operator to look at the server's log.")
        findings.message = "The import failed unexpectedly."
    finally:
        progress.finish()
    state = "failed" if findings.message or (findings.total and not row["dry_run"]) else (
        "dry_run_done" if row["dry_run"] else "committed")
    e = record_import_errors
    await job_ctx.conn.execute(e.delete().where(e.c.org_id == job_ctx.org_id, e.c.import_id == import_id))
    if findings.kept:
        await job_ctx.conn.execute(e.insert(), [{"org_id": job_ctx.org_id, "import_id": import_id, "seq": i + 1, **p}
                                                for i, p in enumerate(findings.kept)])
    now = job_ctx.now()
    await job_ctx.conn.execute(record_imports.update().where(
        record_imports.c.org_id == job_ctx.org_id, record_imports.c.id == import_id).values(
        state=state, total_rows=total if total is not None else processed, processed_rows=processed,
        created_rows=created, error_count=findings.total, summary=findings.summary(),
        started_at=row["started_at"] or progress.started_at, finished_at=now))
    if state == "committed":
        await emit(job_ctx, "records.imported", str(import_id), {"id": import_id, "form_id": row["form_id"],
                                                                 "created": created})


class _Run:
    """Reading, checking and (for a commit) storing the rows of one import, chunk by chunk."""

    def __init__(self, ctx: Ctx, row: Any, findings: _Findings, progress: _Progress, readonly: frozenset[str]
                 ) -> None:
        self.ctx, self.row, self.findings, self.progress, self.readonly = ctx, row, findings, progress, readonly
        self.commit = not row["dry_run"]
        self.created = self.processed = 0
        self.total: int | None = None

    async def go(self) -> None:
        ctx, row = self.ctx, self.row
        form = await form_row(ctx, row["form_id"])
        compiled = await compiled_form(ctx, row["form_id"], form["version"])
        tz = str((await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar() or "UTC")
        file = await file_for_download(ctx, row["file_id"])
        async with _local_file(file) as path:
            self.total = await asyncio.to_thread(_count_rows, path, row["format"], row["sheet"])
            await self.progress.start(self.total)
            sheet = await asyncio.to_thread(open_sheet, path, row["format"], sheet_name=row["sheet"])
            try:
                columns = resolve_columns(compiled, sheet.header, row["mapping"], readonly=self.readonly)
                self.total = self.total if self.total is not None else sheet.total_hint
                await self._rows(sheet, compiled, columns, form["version"], tz)
            finally:
                sheet.close()

    async def _rows(self, sheet: Any, form: CompiledForm, columns: list[Column], version: int, tz: str) -> None:
        ctx, findings = self.ctx, self.findings
        missing = {c.fd.id for c in unmapped_required(form, columns)}
        for fid in missing:
            findings.add(None, None, form, fid, "required", f"The field {form.by_key[fid].fd.name!r} is required and "
                         "no column fills it: map a column to it.")
        by_field = {col.field.fd.id: col for col in columns if col.field is not None}
        guard = UniqueGuard(form)
        owner_department = await primary_department(ctx, ctx.actor.member_id) if self.commit else None
        savepoint = await ctx.conn.begin_nested() if self.commit else None
        if self.commit:
            await guard.lock(ctx, self.row["form_id"])
        csv = self.row["format"] == "csv"
        try:
            while True:
                chunk = await asyncio.to_thread(take, sheet.rows, CHUNK)
                if not chunk:
                    break
                if self.processed + len(chunk) > MAX_ROWS:
                    line = chunk[MAX_ROWS - self.processed].line
                    findings.add(line, None, None, None, "max-rows", f"The file has more than {MAX_ROWS:,} rows; "
                                 "split it and import the parts one after another.")
                    findings.message = f"The file has more than {MAX_ROWS:,} rows."
                    break
                pending = [read_row(columns, r, csv=csv) for r in chunk]
                vctx = ValueContext(now=ctx.now(), time_zone=tz)
                await resolve_chunk(ctx, form, pending, columns, vctx)
                good = self._check(form, pending, vctx, by_field, missing)
                for line, c, message in await guard.check(ctx, self.row["form_id"], good):
                    findings.add(line, by_field.get(c.fd.id), form, c.fd.id, "unique", message)
                    good = [(ln, d) for ln, d in good if ln != line]
                if self.commit and not findings.total:
                    await insert_records(ctx, self.row["form_id"], version, form, [d for _, d in good], tz,
                                         owner_department_id=owner_department)
                    self.created += len(good)
                self.processed += len(chunk)
                await self.progress.report(self.processed, self.total)
        except BaseException:
            if savepoint is not None and savepoint.is_active:
                await savepoint.rollback()
            raise
        if savepoint is not None:
            if findings.total:
                await savepoint.rollback()  # all or nothing
                self.created = 0
            else:
                await savepoint.commit()

    def _check(self, form: CompiledForm, pending: list[Pending], vctx: ValueContext, by_field: dict[str, Column],
               missing: set[str]) -> list[tuple[int, dict[str, Any]]]:
        """The rows of the chunk that the form accepts, cleaned; the others' problems noted."""
        findings = self.findings
        good: list[tuple[int, dict[str, Any]]] = []
        for p in pending:
            reported = {pr.field_id for pr in p.problems}
            for pr in p.problems:
                findings.add(p.line, pr.column, form, pr.field_id, pr.rule, pr.message, pr.value)
            if any(pr.rule == "encoding" for pr in p.problems):
                continue  # the line could not be read: nothing in it to check
            try:
                data = clean_submission(form, p.data, vctx, path="$")
            except ValidationFailed as exc:
                for e in exc.errors:
                    m = _FIELD_PATH.match(e.path)
                    c = form.by_key.get(m.group(1)) if m else None  # named by id, or by name when not sent
                    fid = c.fd.id if c is not None else None
                    if fid in reported or (fid in missing and e.rule == "required"):
                        continue  # said already, for this cell or for the whole file
                    findings.add(p.line, by_field.get(fid) if fid else None, form, fid, e.rule,
                                 _detail(c, m.group(2).lstrip(".") if m else "") + e.message,
                                 p.cells.get(fid) if fid else None)
                continue
            if not p.problems and not missing:
                good.append((p.line, data))
        return good


def _detail(c: Any, detail: str) -> str:
    """Where inside a cell a problem is: "row 2, amount: " of a sub-table, "item 3: " of a list."""
    if not detail:
        return ""
    m = re.match(r"^\[(\d+)\]\.?(.*)$", detail)
    if m and c is not None and c.fd.type == "subtable":
        return f"row {int(m.group(1)) + 1}" + (f", {m.group(2)}" if m.group(2) else "") + ": "
    if m:
        return f"item {int(m.group(1)) + 1}: "
    return f"{detail}: "


# -- progress --------------------------------------------------------------------------------------

# Imports running in this process: id -> (rows processed, rows in all). What the status shows
# while the job's own transaction (which holds SQLite's one write lock) has not committed.
_LIVE: dict[uuid.UUID, tuple[int, int | None]] = {}


class _Progress:
    """Reports how far a run is. On PostgreSQL the import's row is updated in short transactions
    of their own, at most once a second, so every worker's API sees it; the job's transaction
    never writes that row until its end, so the two never wait for each other."""

    def __init__(self, ctx: Ctx, import_id: uuid.UUID) -> None:
        self.ctx, self.import_id = ctx, import_id
        self.side = dialect_of(ctx.conn) == "postgresql"
        self.started_at = ctx.now()
        self._last = 0.0

    async def start(self, total: int | None) -> None:
        _LIVE[self.import_id] = (0, total)
        await self._write(state="running", started_at=self.started_at, total_rows=total, processed_rows=0)

    async def report(self, processed: int, total: int | None) -> None:
        _LIVE[self.import_id] = (processed, total)
        if time.monotonic() - self._last >= 1.0:
            await self._write(processed_rows=processed, total_rows=total)

    async def _write(self, **values: Any) -> None:
        if not self.side:
            return
        self._last = time.monotonic()
        async with self.ctx.conn.engine.begin() as conn:
            await conn.execute(record_imports.update().where(
                record_imports.c.org_id == self.ctx.org_id, record_imports.c.id == self.import_id).values(**values))

    def finish(self) -> None:
        # Left for the status to show until the job's transaction has committed the outcome
        # (`_status` forgets it once the row says the run is over).
        pass


# -- helpers -------------------------------------------------------------------------------------

async def _require_submit(ctx: Ctx, form_id: uuid.UUID) -> FormAccess:
    """Importing is submitting, many times over: the caller must be allowed to submit."""
    access = await form_access(ctx, form_id)
    if not access.can_submit:
        raise Forbidden("You may not submit records to this form, so you may not import them either.")
    return access




def _actor_json(actor: Actor) -> dict[str, Any]:
    return {"kind": actor.kind, "name": actor.name, "user_id": str(actor.user_id) if actor.user_id else None,
            "member_id": str(actor.member_id) if actor.member_id else None, "admin_role": actor.admin_role,
            "scopes": sorted(actor.scopes) if actor.scopes is not None else None,
            "token_id": str(actor.token_id) if actor.token_id else None}


async def _importer(ctx: Ctx, raw: dict[str, Any]) -> Actor:
    """The person (or token) who asked for the run: the job acts as them, as they are now."""
    scopes = frozenset(raw["scopes"]) if raw.get("scopes") is not None else None
    token_id = uuid.UUID(raw["token_id"]) if raw.get("token_id") else None
    if not raw.get("member_id"):
        return Actor(kind=raw["kind"], name=raw["name"], admin_role=raw["admin_role"], scopes=scopes,
                     token_id=token_id)
    m = (await ctx.conn.execute(sa.select(members).where(
        members.c.org_id == ctx.org_id, members.c.id == uuid.UUID(raw["member_id"])))).mappings().first()
    if m is None or m["status"] != "active":
        raise Forbidden("The member who started this import is no longer active.")
    return Actor(kind=raw["kind"], name=m["name"], user_id=m["user_id"], member_id=m["id"],
                 admin_role=m["admin_role"], scopes=scopes, token_id=token_id)


@contextlib.asynccontextmanager
async def _local_file(file: Any) -> AsyncIterator[Path]:
    """The file's bytes as a local path (openpyxl and csv read files): the stored copy itself
    on local storage, otherwise a staging copy removed afterwards."""
    storage = current_storage()
    blob = await open_content(file, storage)  # checks the stored bytes are all there
    if isinstance(storage, LocalStorage):
        blob.close()
        yield storage.path_of(file["storage_key"])
        return
    staging = StagingFile(storage.staging_dir)
    try:
        async for chunk in blob.chunks():
            await staging.write(chunk)
        await staging.finish()
        yield staging.path
    finally:
        staging.discard()


def _peek(path: Path, fmt: str, sheet_name: str | None) -> tuple[list[str], str | None, str | None]:
    """The header (and a CSV's encoding and delimiter) of a file that has at least one row."""
    sheet = open_sheet(path, fmt, sheet_name=sheet_name)
    try:
        if not take(sheet.rows, 1):
            raise SheetError("The file has a header but no rows under it.", "empty", line=2)
        return sheet.header, sheet.encoding, sheet.delimiter
    finally:
        sheet.close()


def _count_rows(path: Path, fmt: str, sheet_name: str | None) -> int | None:
    """The rows under a CSV's header, counted up front for the progress bar (fast: nothing is
    converted). A workbook says how many rows it has in its own header, when it does."""
    if fmt != "csv":
        return None
    sheet = open_sheet(path, fmt, sheet_name=sheet_name)
    n = 0
    try:
        while n <= MAX_ROWS:
            got = len(take(sheet.rows, CHUNK * 10))
            if not got:
                break
            n += got
    except SheetError:
        return None  # the run reports it where it finds it
    finally:
        sheet.close()
    return n


def _at_line(exc: SheetError) -> str:
    return exc.message if exc.line is None or f"ine {exc.line}" in exc.message else f"Line {exc.line}: {exc.message}"


async def _row(ctx: Ctx, import_id: uuid.UUID) -> Any:
    row = (await ctx.conn.execute(sa.select(record_imports).where(
        record_imports.c.org_id == ctx.org_id, record_imports.c.id == import_id))).mappings().first()
    if row is None:
        raise NotFound("No such import in this organization.")
    return row


async def _first_problems(ctx: Ctx, import_id: uuid.UUID, n: int = 100) -> list[FieldError]:
    e = record_import_errors
    rows = (await ctx.conn.execute(sa.select(e).where(e.c.org_id == ctx.org_id, e.c.import_id == import_id)
                                   .order_by(e.c.seq).limit(n))).mappings().all()
    return [FieldError(path=_problem_path(r), message=r["message"], rule=r["rule"]) for r in rows]


def _problem_path(r: Any) -> str:
    """A problem's place as a path: `$.rows[5012].Amount` (line 5012, column Amount)."""
    if r["line"] is None:
        return "$.file" if r["field_name"] is None else f"$.fields.{r['field_name']}"
    return f"$.rows[{r['line']}]" + (f".{r['column']}" if r["column"] else "")


def _status(r: Any) -> ImportStatus:
    state, processed, total = r["state"], r["processed_rows"], r["total_rows"]
    live = _LIVE.get(r["id"])
    if live is not None and state not in ("pending", "running"):
        _LIVE.pop(r["id"], None)
    elif live is not None:
        state, processed, total = "running", max(processed, live[0]), live[1] if live[1] is not None else total
    return ImportStatus(
        id=r["id"], form_id=r["form_id"], file_id=r["file_id"], file_name=r["file_name"], format=r["format"],
        state=state, dry_run=r["dry_run"], total_rows=total, processed_rows=processed, created_rows=r["created_rows"],
        error_count=r["error_count"], summary=r["summary"], columns=msgspec.convert(r["columns"], list[ImportColumn]),
        mapping=r["mapping"], created_by=r["created_by"], created_at=r["created_at"], started_at=r["started_at"],
        finished_at=r["finished_at"], encoding=r["encoding"], delimiter=r["delimiter"], sheet=r["sheet"])


def _problem(r: Any) -> ImportProblem:
    return ImportProblem(line=r["line"], column_number=r["column_number"], column=r["column"], field_id=r["field_id"],
                         field_name=r["field_name"], rule=r["rule"], message=r["message"], value=r["value"])
