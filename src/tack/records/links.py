"""Links between records: what link fields name, kept in step with `record_links`; the records
that link to one (backlinks); titles to show links by; and keeping lookups and roll-ups fresh.

- Writing a record: `load_linked_records` fetches, in one query, the records its link fields
  name (are they live records of the linked form, in this organization, that the writer may
  read?) and the data its lookups and roll-ups read; `sync_links` brings `record_links` in line
  with the stored data in the same transaction.
- A linked record changes (updated, deleted, restored, or refreshed itself): the consumer
  `record-links` enqueues a durable job that recomputes the lookups and roll-ups of the records
  linking to it, a batch at a time. A refresh is not an edit: the record's lookups and roll-ups
  (and the formulas reading them) change, its version, `updated_at` and history do not, and
  visibility rules are applied again at its next edit, not here. It emits `record.refreshed`,
  so chains of lookups (a lookup of a lookup) refresh in turn, and stops where no lookup changed.
- A deleted record stays named by the links to it (restoring it brings it back) but reads as
  gone: lookups and roll-ups leave it out, the backlinks of a deleted record's links are not
  listed, and `linked_records` marks it deleted.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
import sqlalchemy as sa

from tack.apps.service import compiled_form
from tack.apps.tables import forms
from tack.auth.policy import require
from tack.core.consumers import consumer
from tack.core.ctx import Ctx
from tack.core.errors import NotFound
from tack.core.events import Event, emit
from tack.core.jobs import enqueue, job
from tack.core.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor
from tack.directory.tables import orgs
from tack.forms.definition import CompiledField, CompiledForm
from tack.forms.fields import ValueContext
from tack.forms.fields.links import LIMIT, linked_ids
from tack.forms.values import evaluate_submission
from tack.formula import dependencies
from tack.records.link_tables import record_links
from tack.records.tables import records

log = logging.getLogger(__name__)

REFRESH = "records.refresh_links"
BATCH = 200  # linking records refreshed per job
MAX_NAMED = 10 * LIMIT  # records one submission may name across its link fields and columns


class LinkedRecord(msgspec.Struct):
    field_id: str  # the link field (or sub-table link column) that names it
    record_id: uuid.UUID
    form_id: uuid.UUID | None  # None: no such record any more (purged)
    title: str
    deleted: bool


class LinkedRecordList(msgspec.Struct):
    items: list[LinkedRecord]


class Backlink(msgspec.Struct):
    record_id: uuid.UUID  # the record that links here
    form_id: uuid.UUID
    field_id: str  # through this link field of its form
    title: str


class BacklinkPage(msgspec.Struct):
    items: list[Backlink]
    next_cursor: str | None = None


# ---- which fields link -----------------------------------------------------------------------------

def link_fields(form: CompiledForm) -> list[tuple[CompiledField, CompiledField | None]]:
    """The form's link fields and sub-table link columns (with their sub-table)."""
    out: list[tuple[CompiledField, CompiledField | None]] = []
    for c in form.fields:
        if c.fd.type == "link":
            out.append((c, None))
        out.extend((col, c) for col in c.columns if col.fd.type == "link")
    return out


def _values(form: CompiledForm, data: Mapping[str, Any], *, by_key: bool) -> dict[str, set[uuid.UUID]]:
    """Link field id -> the record ids `data` names in it (keys by id or name when `by_key`, as a
    submission sends them; by id, as stored, otherwise)."""
    out: dict[str, set[uuid.UUID]] = {}
    for c, table in link_fields(form):
        if table is None:
            value = _get(data, c, by_key)
            if value is not None:
                out.setdefault(c.fd.id, set()).update(linked_ids(value))
            continue
        rows = _get(data, table, by_key)
        for row in rows[:1000] if isinstance(rows, list) else []:
            if isinstance(row, Mapping) and (cell := _get(row, c, by_key)) is not None:
                out.setdefault(c.fd.id, set()).update(linked_ids(cell))
    return out


def _get(data: Mapping[str, Any], c: CompiledField, by_key: bool) -> Any:
    if c.fd.id in data:
        return data[c.fd.id]
    return data.get(c.fd.name) if by_key else None


def _targets(form: CompiledForm) -> dict[str, uuid.UUID]:
    return {c.fd.id: c.settings.form_id for c, _ in link_fields(form)}


# ---- writing a record ------------------------------------------------------------------------------

async def load_linked_records(ctx: Ctx, form: CompiledForm, vctx: ValueContext, data: Mapping[str, Any],
                              previous: Mapping[str, Any] | None = None) -> None:
    """Fill `vctx.known_records` and `vctx.linked_data` for a submission (`data`, keyed by id or
    name) to a record whose stored data is `previous` (None for a new record).

    A newly named record must be a live record of the linked form that the writer may read;
    one the stored data already named stays known even if it was deleted since (the person
    sends the link back unchanged); lookups and roll-ups read the live ones."""
    links = link_fields(form)
    if not links:
        return
    sent = _values(form, data, by_key=True)
    kept = _values(form, previous or {}, by_key=False)
    kept_ids = set().union(*kept.values()) if kept else set()
    wanted = (set().union(*sent.values()) if sent else set()) | kept_ids
    if not wanted:
        return
    wants_data = any(c.ftype.derived for c in form.fields)
    columns = [records.c.id, records.c.form_id, records.c.deleted_at] + ([records.c.data] if wants_data else [])
    ids = sorted(wanted)[:MAX_NAMED]  # beyond it, ids are not found (and refused)
    found = [r for i in range(0, len(ids), 1000) for r in (await ctx.conn.execute(sa.select(*columns).where(
        records.c.org_id == ctx.org_id, records.c.id.in_(ids[i:i + 1000])))).mappings().all()]
    readable = await _readable(ctx, {r["id"]: r["form_id"] for r in found if r["id"] not in kept_ids})
    for r in found:
        live = r["deleted_at"] is None
        if r["id"] in kept_ids or (live and r["id"] in readable):
            vctx.known_records[r["id"]] = r["form_id"]
        if live and wants_data:
            vctx.linked_data[r["id"]] = dict(r["data"])


async def _readable(ctx: Ctx, ids: Mapping[uuid.UUID, uuid.UUID]) -> set[uuid.UUID]:
    """Which of these records (id -> form id) the actor may read: a link is a way to see a
    record's title and looked-up values, so a person links only what they may see."""
    if not ids or ctx.actor.kind == "system":
        return set(ids)
    from tack.access.scopes import scope_condition
    from tack.access.service import form_access

    out: set[uuid.UUID] = set()
    for form_id in set(ids.values()):
        mine = [i for i, f in ids.items() if f == form_id]
        try:
            access = await form_access(ctx, form_id)
        except NotFound:  # the linked form was deleted
            continue
        if access.read_filter is None:
            out.update(mine)
        elif access.can_read:
            version = (await ctx.conn.execute(sa.select(forms.c.version).where(
                forms.c.org_id == ctx.org_id, forms.c.id == form_id))).scalar_one()
            cond = await scope_condition(ctx, await compiled_form(ctx, form_id, version), access.read_filter)
            out.update((await ctx.conn.execute(sa.select(records.c.id).where(
                records.c.org_id == ctx.org_id, records.c.id.in_(mine), cond))).scalars().all())
    return out


async def sync_links(ctx: Ctx, form: CompiledForm, record_id: uuid.UUID, data: Mapping[str, Any], *,
                     created: bool = False) -> None:
    """Make `record_links` say what the record's stored `data` links to (in the caller's
    transaction). A new record of a form without links costs nothing; an update always looks
    (an older version of the form may have had links)."""
    want = {(fid, t) for fid, ids in _values(form, data, by_key=False).items() for t in ids}
    if created and not want:
        return
    have = {(r.field_id, r.target_id) for r in (await ctx.conn.execute(sa.select(
        record_links.c.field_id, record_links.c.target_id).where(
        record_links.c.org_id == ctx.org_id, record_links.c.record_id == record_id))).all()}
    gone: dict[str, list[uuid.UUID]] = {}
    for fid, target in have - want:
        gone.setdefault(fid, []).append(target)
    for fid, targets in gone.items():
        await ctx.conn.execute(record_links.delete().where(
            record_links.c.org_id == ctx.org_id, record_links.c.record_id == record_id,
            record_links.c.field_id == fid, record_links.c.target_id.in_(targets)))
    new = sorted(want - have, key=str)
    if new:
        await ctx.conn.execute(record_links.insert(), [
            {"org_id": ctx.org_id, "record_id": record_id, "field_id": fid, "target_id": t} for fid, t in new])


# ---- reading links ------------------------------------------------------------------------------------

async def linked_records(ctx: Ctx, record_id: uuid.UUID) -> LinkedRecordList:
    """The records a record's link fields name, with their titles (deleted ones marked)."""
    require(ctx.actor, "record.read")
    row, hidden = await _readable_row(ctx, record_id)
    form = await compiled_form(ctx, row["form_id"], row["form_version"])
    pairs = [(c.fd.id, t) for c, table in link_fields(form) if (table or c).fd.id not in hidden
             for t in dict.fromkeys(_stored_order(row["data"], c, table))]
    titles = await record_titles(ctx, [t for _, t in pairs])
    return LinkedRecordList(items=[LinkedRecord(field_id=fid, record_id=t, form_id=titles[t][0], title=titles[t][1],
                                                deleted=titles[t][2]) for fid, t in pairs])


def _stored_order(data: Mapping[str, Any], c: CompiledField, table: CompiledField | None) -> list[uuid.UUID]:
    if table is None:
        return linked_ids(data.get(c.fd.id) or [])
    rows = data.get(table.fd.id)
    return [i for row in rows if isinstance(row, Mapping) for i in linked_ids(row.get(c.fd.id) or [])] \
        if isinstance(rows, list) else []


async def backlinks(ctx: Ctx, record_id: uuid.UUID, *, cursor: str | None = None,
                    limit: int = DEFAULT_LIMIT) -> BacklinkPage:
    """The live records that link to this one (that the actor may read), by their id."""
    require(ctx.actor, "record.read")
    await _readable_row(ctx, record_id)
    source = records.alias("source")
    base = sa.select(record_links.c.record_id, record_links.c.field_id, source.c.form_id).join(
        source, sa.and_(source.c.org_id == record_links.c.org_id, source.c.id == record_links.c.record_id)).where(
        record_links.c.org_id == ctx.org_id, record_links.c.target_id == record_id, source.c.deleted_at.is_(None))
    if ctx.actor.kind != "system":
        source_forms = (await ctx.conn.execute(base.with_only_columns(source.c.form_id).distinct())).scalars().all()
        base = base.where(await _scopes(ctx, source, source_forms))
    key = decode_cursor(cursor, uuid.UUID, str)
    if key is not None:
        base = base.where(sa.or_(record_links.c.record_id > key[0], sa.and_(
            record_links.c.record_id == key[0], record_links.c.field_id > key[1])))
    rows = (await ctx.conn.execute(base.order_by(record_links.c.record_id, record_links.c.field_id)
                                   .limit(limit + 1))).all()
    titles = await record_titles(ctx, [r.record_id for r in rows[:limit]])
    items = [Backlink(record_id=r.record_id, form_id=r.form_id, field_id=r.field_id, title=titles[r.record_id][1])
             for r in rows[:limit]]
    nxt = encode_cursor([str(items[-1].record_id), items[-1].field_id]) if len(rows) > limit else None
    return BacklinkPage(items=items, next_cursor=nxt)


async def _scopes(ctx: Ctx, source: Any, form_ids: Iterable[uuid.UUID]) -> sa.ColumnElement[bool]:
    """The records of these forms the actor may read (their permission groups' read scopes)."""
    from tack.access.scopes import scope_condition
    from tack.access.service import form_access

    parts: list[sa.ColumnElement[bool]] = []
    for form_id in form_ids:
        try:
            access = await form_access(ctx, form_id)
        except NotFound:
            continue
        # A link field hidden from the actor does not show what it links to.
        visible = record_links.c.field_id.not_in(access.hidden_fields) if access.hidden_fields else sa.true()
        if access.read_filter is None:
            parts.append(sa.and_(source.c.form_id == form_id, visible))
        elif access.can_read:
            version = (await ctx.conn.execute(sa.select(forms.c.version).where(
                forms.c.org_id == ctx.org_id, forms.c.id == form_id))).scalar_one()
            cond = await scope_condition(ctx, await compiled_form(ctx, form_id, version), access.read_filter)
            # The scope is written over `records`; it applies to the source rows through their ids.
            parts.append(sa.and_(source.c.form_id == form_id, visible, source.c.id.in_(
                sa.select(records.c.id).where(records.c.org_id == ctx.org_id, records.c.form_id == form_id, cond))))
    return sa.or_(*parts) if parts else sa.false()


async def _readable_row(ctx: Ctx, record_id: uuid.UUID) -> tuple[sa.RowMapping, frozenset[str]]:
    """The record, if the actor may read it, and the fields hidden from them."""
    from tack.records.service import record_access, record_row

    row = await record_row(ctx, record_id)
    access = await record_access(ctx, row, "read")
    return row, access.hidden_fields


async def record_titles(ctx: Ctx, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID | None, str, bool]]:
    """Record id -> (its form id, its title, whether it is deleted), in a query per distinct
    form: a record's title is its form's first text field (else its id). A record that is no
    more is (None, its id, True)."""
    wanted = list(dict.fromkeys(ids))
    out: dict[uuid.UUID, tuple[uuid.UUID | None, str, bool]] = {i: (None, str(i), True) for i in wanted}
    if not wanted:
        return out
    rows = (await ctx.conn.execute(sa.select(records.c.id, records.c.form_id, records.c.data, records.c.deleted_at,
                                             forms.c.version).join(forms, sa.and_(
        forms.c.org_id == records.c.org_id, forms.c.id == records.c.form_id)).where(
        records.c.org_id == ctx.org_id, records.c.id.in_(wanted)))).all()
    title_of: dict[uuid.UUID, str | None] = {}
    for r in rows:
        if r.form_id not in title_of:
            title_of[r.form_id] = title_field(await compiled_form(ctx, r.form_id, r.version))
        fid = title_of[r.form_id]
        value = r.data.get(fid) if fid is not None else None
        out[r.id] = (r.form_id, value if isinstance(value, str) and value.strip() else str(r.id),
                     r.deleted_at is not None)
    return out


def title_field(form: CompiledForm) -> str | None:
    """The field a record is named by where it is linked: its form's first single-line text."""
    return next((c.fd.id for c in form.fields if c.fd.type == "text"), None)


async def link_titles(ctx: Ctx, form: CompiledForm, datas: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """For an export: record id text -> title, for every record the link fields of these records'
    data name (one lookup for a page of records); pass it to `Link.to_text(..., titles=)`."""
    ids: set[uuid.UUID] = set()
    for data in datas:
        for found in _values(form, data, by_key=False).values():
            ids |= found
    return {str(i): title for i, (_, title, _) in (await record_titles(ctx, ids)).items()}


async def match_link_texts(ctx: Ctx, form_id: uuid.UUID, texts: Iterable[str]) -> dict[str, str]:
    """For an import: each text found in a link column (a record id, or the title of a record of
    the linked form) -> the id of the live record it names. Texts that name none, or more than
    one record (two with the same title), are left out: cleaning then refuses them."""
    wanted = {t.strip() for t in texts if t.strip()}
    out: dict[str, str] = {}
    as_ids: dict[uuid.UUID, str] = {}
    for t in wanted:
        try:
            as_ids[uuid.UUID(t)] = t
        except ValueError:
            continue
    live = sa.and_(records.c.org_id == ctx.org_id, records.c.form_id == form_id, records.c.deleted_at.is_(None))
    if as_ids:
        for i in (await ctx.conn.execute(sa.select(records.c.id).where(
                live, records.c.id.in_(list(as_ids))))).scalars():
            out[as_ids[i]] = str(i)
    titles = sorted(wanted - out.keys())
    row = (await ctx.conn.execute(sa.select(forms.c.version).where(
        forms.c.org_id == ctx.org_id, forms.c.id == form_id, forms.c.deleted_at.is_(None)))).first()
    fid = title_field(await compiled_form(ctx, form_id, row.version)) if row is not None else None
    if fid is None or not titles:
        return out
    seen: dict[str, list[uuid.UUID]] = {}
    for chunk in range(0, len(titles), 500):
        part = titles[chunk:chunk + 500]
        for rid, title in (await ctx.conn.execute(sa.select(records.c.id, records.c.data[fid].as_string()).where(
                live, records.c.data[fid].as_string().in_(part)))).all():
            seen.setdefault(title, []).append(rid)
    out.update({title: str(ids[0]) for title, ids in seen.items() if len(ids) == 1})
    return out


# ---- keeping lookups and roll-ups fresh -----------------------------------------------------------

@consumer("record-links", "record.updated", "record.deleted", "record.restored", "record.refreshed")
async def _linked_record_changed(ctx: Ctx, ev: Event) -> None:
    """A record changed: the records linking to it may look it up. (A restored record also
    refreshes itself: what it links to may have changed while it was deleted.)"""
    if not isinstance(ev.data.get("id"), str):
        return
    record_id = uuid.UUID(ev.data["id"])
    if ev.type == "record.restored":
        await enqueue(ctx, REFRESH, {"record": str(record_id)}, dedupe_key=f"refresh-record:{record_id}")
    linked = (await ctx.conn.execute(sa.select(record_links.c.record_id).where(
        record_links.c.org_id == ctx.org_id, record_links.c.target_id == record_id).limit(1))).first()
    if linked is not None:
        await enqueue(ctx, REFRESH, {"target": str(record_id)}, dedupe_key=f"refresh-links:{record_id}")


@job(REFRESH)
async def _refresh_links(ctx: Ctx, payload: dict[str, Any]) -> None:
    """Recompute the lookups and roll-ups of the records linking to `target` (a batch; the rest
    in a follow-up job), or of one `record`. Idempotent: it recomputes from what is stored now."""
    if "record" in payload:
        await refresh_record(ctx, uuid.UUID(payload["record"]))
        return
    target = uuid.UUID(payload["target"])
    q = sa.select(record_links.c.record_id).distinct().where(
        record_links.c.org_id == ctx.org_id, record_links.c.target_id == target)
    if payload.get("after"):
        q = q.where(record_links.c.record_id > uuid.UUID(payload["after"]))
    ids = (await ctx.conn.execute(q.order_by(record_links.c.record_id).limit(BATCH))).scalars().all()
    for rid in ids:
        await refresh_record(ctx, rid)
    if len(ids) == BATCH:
        await enqueue(ctx, REFRESH, {"target": str(target), "after": str(ids[-1])})


async def refresh_record(ctx: Ctx, record_id: uuid.UUID) -> bool:
    """Recompute a record's lookups and roll-ups (and the formulas reading them) from what its
    links name now; True when its data changed. Not an edit: no new version, no revision."""
    row = (await ctx.conn.execute(sa.select(records).where(
        records.c.org_id == ctx.org_id, records.c.id == record_id))).mappings().first()
    if row is None or row["deleted_at"] is not None:
        return False
    form = await compiled_form(ctx, row["form_id"], row["form_version"])
    if not any(c.ftype.derived for c in form.fields):
        return False
    data: dict[str, Any] = dict(row["data"])
    tz = (await ctx.conn.execute(sa.select(orgs.c.time_zone).where(orgs.c.id == ctx.org_id))).scalar() or "UTC"
    vctx = ValueContext(now=ctx.now(), time_zone=str(tz))
    await load_linked_records(ctx, form, vctx, {}, data)
    fresh = _refreshed(form, data, evaluate_submission(form, {}, vctx, previous=data).data)
    if fresh == data:
        return False
    res = await ctx.conn.execute(records.update().where(
        records.c.org_id == ctx.org_id, records.c.id == record_id, records.c.version == row["version"],
    ).values(data=fresh))
    if res.rowcount != 1:  # edited meanwhile: that edit recomputed them
        return False
    changes = {k: [data.get(k), fresh.get(k)] for k in sorted(set(data) | set(fresh)) if data.get(k) != fresh.get(k)}
    from tack.records.query.search import index_record

    await index_record(ctx, record_id, row["form_id"], form, fresh)
    await emit(ctx, "record.refreshed", str(record_id), {"id": record_id, "form_id": row["form_id"],
                                                          "version": row["version"], "changes": changes})
    return True


def _refreshed(form: CompiledForm, data: dict[str, Any], computed: dict[str, Any]) -> dict[str, Any]:
    """`data` with the lookups and roll-ups whose values changed in `computed` (the record
    evaluated again), and the formulas that read them; nothing else. Formulas that do not
    read them keep their values (a NOW() is not recomputed by someone else's edit), and a
    refresh that changes no lookup changes nothing: that is what makes chains of refreshes
    end, as the lookups themselves never go round in a circle."""
    changed = {c.fd.name: c.fd.id for c in form.fields
               if c.ftype.derived and computed.get(c.fd.id) != data.get(c.fd.id)}
    if not changed:
        return data
    for c in form.computed_order:  # each after the formulas it reads
        if dependencies(c.settings.expression) & changed.keys():
            changed[c.fd.name] = c.fd.id
    out = dict(data)
    for fid in changed.values():
        if fid in computed:
            out[fid] = computed[fid]
        else:
            out.pop(fid, None)
    return out
