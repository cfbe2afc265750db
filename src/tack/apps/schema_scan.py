"""Reading a form's records for a schema change: how many values a type change converts or
loses, which values new settings refuse, how many values a deleted field holds.

Memory stays bounded: records are read in batches of `BATCH`. A form of at most `SCAN_LIMIT`
records is read whole and the counts are exact. A larger form is cut into `SCAN_LIMIT // BATCH`
slices of its id range (ids are time-ordered, so slices of its history); the first `BATCH`
records of each slice are read, and each slice's counts are scaled by its own record count
(an index range count), so a busy month weighs more than a quiet one. Such counts are labelled
`estimated`.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tack.apps.schema_diff import Converter, Diff, Slot, cells, lookup_ids
from tack.apps.schema_models import ValueExample
from tack.core.ctx import Ctx
from tack.core.db import dialect_of
from tack.directory.tables import departments, members, orgs
from tack.forms.fields import FIELD_TYPES, Invalid, ValueContext
from tack.records.tables import records

SCAN_LIMIT = 10_000
BATCH = 500
EXAMPLES = 10


async def org_time_zone(ctx: Ctx) -> str:
    return str((await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar() or "UTC")


def has_key(ctx: Ctx, key: str) -> sa.ColumnElement[bool]:
    """Records whose data holds `key` (a field id: `f_` and lower-case letters and digits)."""
    if dialect_of(ctx.conn) == "postgresql":
        return records.c.data.op("?")(key)
    return sa.func.json_type(records.c.data, f'$."{key}"').is_not(None)


async def value_context(ctx: Ctx, wanted: Mapping[str, set[str]], tz: str) -> ValueContext:
    """The lookups cleaning needs, for a whole batch at once. Existing data names members who
    may have left since: any member of the organization counts, active or not."""
    vctx = ValueContext(now=ctx.now(), time_zone=tz)
    ids = {kind: _uuids(v) for kind, v in wanted.items()}
    if ids.get("member"):
        vctx.known_members = set((await ctx.conn.execute(sa.select(members.c.id).where(
            members.c.org_id == ctx.org_id, members.c.id.in_(ids["member"])))).scalars().all())
    if ids.get("department"):
        vctx.known_departments = set((await ctx.conn.execute(sa.select(departments.c.id).where(
            departments.c.org_id == ctx.org_id, departments.c.id.in_(ids["department"])))).scalars().all())
    if ids.get("record"):  # links: the records named exist (deleted ones too: the data named them)
        wanted_records = sorted(ids["record"])
        for i in range(0, len(wanted_records), 1000):
            vctx.known_records.update({r.id: r.form_id for r in (await ctx.conn.execute(
                sa.select(records.c.id, records.c.form_id).where(
                    records.c.org_id == ctx.org_id, records.c.id.in_(wanted_records[i:i + 1000])))).all()})
    if ids.get("file"):
        from tack.files.service import find_files

        found = await find_files(ctx, ids["file"])
        vctx.known_files = set(found)
        vctx.file_types = {i: f.content_type for i, f in found.items()}
    return vctx


def _uuids(texts: Iterable[str]) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for t in texts:
        try:
            out.add(uuid.UUID(t.strip()))
        except (ValueError, AttributeError):
            continue  # the field type says why
    return out


def want(wanted: dict[str, set[str]], type_name: str, value: Any) -> None:
    kind, ids = lookup_ids(type_name, value)
    if kind is not None:
        wanted.setdefault(kind, set()).update(ids)


# ---- the tally --------------------------------------------------------------------------

@dataclass
class Count:
    n: float = 0.0
    examples: list[ValueExample] = field(default_factory=list)
    message: str = ""

    def add(self, weight: float, example: ValueExample | None = None) -> None:
        self.n += weight
        if example is not None and len(self.examples) < EXAMPLES:
            self.examples.append(example)


@dataclass
class ScanResult:
    total: int = 0
    scanned: int = 0
    counts: dict[tuple[str, ...], Count] = field(default_factory=dict)

    @property
    def estimated(self) -> bool:
        return self.scanned < self.total

    def count(self, *key: str) -> Count:
        found = self.counts.get(key)
        if found is None:
            found = self.counts[key] = Count()
        return found

    def get(self, *key: str) -> int:
        c = self.counts.get(key)
        return round(c.n) if c is not None else 0


async def scan(ctx: Ctx, form_id: uuid.UUID, d: Diff, tz: str) -> ScanResult:
    result = ScanResult()
    base = (records.c.org_id == ctx.org_id, records.c.form_id == form_id)
    result.total = int((await ctx.conn.execute(sa.select(sa.func.count()).select_from(records).where(*base))).scalar()
                       or 0)
    if not d.needs_scan or result.total == 0:
        return result
    unique: dict[str, Counter[str]] = {s.id: Counter() for s in d.unique_added}
    if result.total <= SCAN_LIMIT:
        after: uuid.UUID | None = None
        while True:
            rows = await _batch(ctx, base, after)
            if not rows:
                break
            await _tally(ctx, d, rows, 1.0, tz, result, unique)
            after = rows[-1]["id"]
    else:
        for lo, hi in await _slices(ctx, base):
            bounds = [records.c.id >= lo] + ([records.c.id < hi] if hi is not None else [])
            size = int((await ctx.conn.execute(sa.select(sa.func.count()).select_from(records).where(
                *base, *bounds))).scalar() or 0)
            rows = await _batch(ctx, (*base, *bounds), None)
            if rows:
                await _tally(ctx, d, rows, size / len(rows), tz, result, unique)
    scale = result.total / result.scanned if result.scanned else 1.0
    for fid, seen in unique.items():
        shared = sum(n for n in seen.values() if n > 1)
        if shared:
            result.count(fid, "unique-added").add(shared * scale)
    return result


async def _batch(ctx: Ctx, where: Sequence[Any], after: uuid.UUID | None) -> list[sa.RowMapping]:
    q = sa.select(records.c.id, records.c.data, records.c.deleted_at).where(*where)
    if after is not None:
        q = q.where(records.c.id > after)
    return list((await ctx.conn.execute(q.order_by(records.c.id).limit(BATCH))).mappings().all())


async def _slices(ctx: Ctx, base: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    ends = sa.select(records.c.id).where(*base).limit(1)  # PostgreSQL has no min(uuid): the index's two ends
    lo = (await ctx.conn.execute(ends.order_by(records.c.id))).scalar_one()
    hi = (await ctx.conn.execute(ends.order_by(records.c.id.desc()))).scalar_one()
    n = max(SCAN_LIMIT // BATCH, 1)
    start, end = lo.int, hi.int + 1
    cuts = sorted({start + (end - start) * k // n for k in range(n)})
    points = [uuid.UUID(int=c) for c in cuts]
    return [(p, points[i + 1] if i + 1 < len(points) else None) for i, p in enumerate(points)]


async def _tally(ctx: Ctx, d: Diff, rows: Sequence[sa.RowMapping], weight: float, tz: str, result: ScanResult,
                 unique: dict[str, Counter[str]]) -> None:
    result.scanned += len(rows)
    converters = {s.id: Converter(s.old, s.new) for s in d.type_changes}
    staged: list[tuple[Slot, uuid.UUID, int | None, str, Any]] = []
    checks: list[tuple[Slot, uuid.UUID, int | None, Any]] = []
    wanted: dict[str, set[str]] = {}
    for r in rows:
        data: Mapping[str, Any] = r["data"] if isinstance(r["data"], Mapping) else {}
        live = r["deleted_at"] is None
        for p in [*d.deleted, *d.restored]:
            n = sum(1 for _ in cells(data, p.fd.id, p.table_id))
            if n:
                result.count(p.fd.id, "kept").add(n * weight)
        for s in d.type_changes:
            conv = converters[s.id]
            for row, value in cells(data, s.id, s.table_id):
                text = conv.text(value)
                value_staged = conv.stage(text)
                want(wanted, s.new.type, value_staged)
                staged.append((s, r["id"], row, text, value_staged))
        if not live:
            continue  # rules bind the records people still use
        for s in d.settings_checks:
            for row, value in cells(data, s.id, s.table_id):
                want(wanted, s.new.type, value)
                checks.append((s, r["id"], row, value))
        for s in d.required_added:
            for row in _blank_places(data, s):
                result.count(s.id, "required-added").add(weight, ValueExample(r["id"], "", "blank", row))
        for s in d.unique_added:
            for _, value in cells(data, s.id, None):
                unique[s.id][json.dumps(value, sort_keys=True, default=str)] += 1
    vctx = await value_context(ctx, wanted, tz)
    for s, record_id, row, text, value_staged in staged:
        result.count(s.id, "values").add(weight)
        try:
            converters[s.id].finish(value_staged, vctx)
            result.count(s.id, "convert").add(weight)
        except Invalid as exc:
            result.count(s.id, "lost").add(weight, ValueExample(record_id, _short(text), exc.message, row))
    for s, record_id, row, value in checks:
        _check_settings(s, record_id, row, value, vctx, weight, result)


def _blank_places(data: Mapping[str, Any], s: Slot) -> Iterable[int | None]:
    if s.table_id is None:
        if not any(True for _ in cells(data, s.id, None)):
            yield None
        return
    rows = data.get(s.table_id)
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        if isinstance(row, dict) and not any(True for _ in cells(row, s.id, None)):
            yield i


def removed_options(s: Slot) -> dict[str, str]:
    """A select's options the new settings no longer have: id -> label."""
    if s.old.type not in ("select", "multiselect"):
        return {}
    kept = {o.get("id") for o in s.new.settings.get("options", []) if isinstance(o, dict)}
    return {o["id"]: str(o.get("label", o["id"])) for o in s.old.settings.get("options", [])
            if isinstance(o, dict) and isinstance(o.get("id"), str) and o["id"] not in kept}


def _check_settings(s: Slot, record_id: uuid.UUID, row: int | None, value: Any, vctx: ValueContext, weight: float,
                    result: ScanResult) -> None:
    t = FIELD_TYPES.get(s.new.type)
    old_t = FIELD_TYPES.get(s.old.type)
    removed = removed_options(s)
    used = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v in removed]
    for option in used:
        result.count(s.id, "option-removed", option).add(weight, ValueExample(record_id, removed[option],
                                                                              "option removed", row))
    try:
        settings = t.settings_of(s.new.settings)
        t.clean(value, settings, vctx)
    except Invalid as exc:
        if used and exc.rule == "option":
            return  # counted as a removed option above
        try:
            text = old_t.to_text(value, old_t.settings_of(s.old.settings))
        except Exception:
            text = str(value)
        c = result.count(s.id, "invalid", exc.rule)
        c.add(weight, ValueExample(record_id, _short(text), exc.message, row))
        c.message = c.message or exc.message
    except Exception:
        return  # settings compile_form refused already


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "…"
