"""The record query compiler against a plain-Python reference, on SQLite and PostgreSQL:
random records, random filter trees and random sorts (hypothesis), every page walked."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tack.apps.models import AppCreate
from tack.apps.service import create_app, create_form
from tack.core.clock import FrozenClock
from tack.core.ctx import Actor, Ctx
from tack.core.errors import ValidationFailed
from tack.core.ids import new_id
from tack.directory import orgs, users
from tack.directory.models import OrgCreate
from tack.forms.model import FormDef
from tack.records.query import RecordQuery, SortKey, query_records
from tack.records.query.periods import day_range
from tack.records.tables import records
from tack.runtime import Runtime
from tests.records.query_reference import Rec, World, matches, order

NOW = dt.datetime(2026, 11, 21, 15, 30, tzinfo=dt.UTC)
OPTIONS = [{"id": "o1", "label": "Open"}, {"id": "o2", "label": "Done"}, {"id": "o3", "label": "Closed"}]
FIELDS = [
    {"id": "f_text0001", "name": "Title", "type": "text"},
    {"id": "f_num00001", "name": "Amount", "type": "number", "settings": {"decimals": 2}},
    {"id": "f_date0001", "name": "Due", "type": "date"},
    {"id": "f_when0001", "name": "Met at", "type": "datetime"},
    {"id": "f_sel00001", "name": "Status", "type": "select", "settings": {"options": OPTIONS}},
    {"id": "f_multi001", "name": "Tags", "type": "multiselect", "settings": {"options": OPTIONS}},
    {"id": "f_check001", "name": "Paid", "type": "checkbox"},
    {"id": "f_memb0001", "name": "Owner", "type": "member"},
    {"id": "f_membs001", "name": "Team", "type": "members"},
]
KINDS = {"f_text0001": "text", "f_num00001": "number", "f_date0001": "date", "f_when0001": "datetime",
         "f_sel00001": "select", "f_multi001": "multiselect", "f_check001": "checkbox", "f_memb0001": "member",
         "f_membs001": "members"}
LABELS = {"f_sel00001": {o["label"]: o["id"] for o in OPTIONS}, "f_multi001": {o["label"]: o["id"] for o in OPTIONS}}
ORDER = {"f_sel00001": [o["id"] for o in OPTIONS]}
PEOPLE = [str(uuid.UUID(int=i + 1)) for i in range(3)]  # stand-ins: the compiler never looks them up
WORDS = ["apple", "Apple pie", "banana", "Éclair", "中文", "a_b%c", "z"]

texts = st.sampled_from(WORDS)
numbers = st.sampled_from([-5, 0, 1, 2.5, 10, 1000])
dates = st.dates(dt.date(2026, 10, 1), dt.date(2027, 1, 31)).map(dt.date.isoformat)
moments = st.datetimes(dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 31)).map(
    lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"))
periods = st.sampled_from(["today", "yesterday", "this_week", "last_week", "this_month", "last_month",
                           "next_month", "this_quarter", "this_year", {"last_days": 30}, {"next_days": 7}])
ids = st.sampled_from(["o1", "o2", "o3"])
people = st.sampled_from(PEOPLE)


@st.composite
def record_data(draw: st.DrawFn) -> dict[str, Any]:
    values = {"f_text0001": texts, "f_num00001": numbers, "f_date0001": dates, "f_when0001": moments,
              "f_sel00001": ids, "f_check001": st.just(True), "f_memb0001": people,
              "f_multi001": st.lists(ids, min_size=1, max_size=3, unique=True).map(sorted),
              "f_membs001": st.lists(people, min_size=1, max_size=2, unique=True)}
    return {k: draw(s) for k, s in values.items() if draw(st.integers(0, 3))}  # a quarter left blank


def condition(field: str) -> st.SearchStrategy[dict[str, Any]]:
    kind = KINDS[field]
    c = lambda op, v=None: {"field": field, "op": op, **({"value": v} if v is not None else {})}  # noqa: E731
    blank = [st.just(c("empty")), st.just(c("not_empty"))]
    by_kind: dict[str, list[st.SearchStrategy[dict[str, Any]]]] = {
        "text": [st.builds(c, st.sampled_from(["eq", "ne", "contains", "not_contains", "starts_with", "ends_with"]),
                           st.sampled_from(WORDS + ["a", "PIE", "%", "_"])),
                 st.builds(c, st.sampled_from(["any_of", "none_of"]), st.lists(texts, min_size=1, max_size=3))],
        "number": [st.builds(c, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), numbers),
                   st.builds(c, st.just("between"), st.lists(numbers, min_size=2, max_size=2).map(sorted))],
        "date": [st.builds(c, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), dates),
                 st.builds(c, st.just("between"), st.lists(dates, min_size=2, max_size=2).map(sorted)),
                 st.builds(c, st.just("in_period"), periods)],
        "datetime": [st.builds(c, st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), moments | dates),
                     st.builds(c, st.just("between"), st.lists(dates, min_size=2, max_size=2).map(sorted)),
                     st.builds(c, st.just("in_period"), periods)],
        "select": [st.builds(c, st.sampled_from(["eq", "ne"]), st.sampled_from(["o1", "Done", "closed"])),
                   st.builds(c, st.sampled_from(["any_of", "none_of"]), st.lists(ids, min_size=1, max_size=2))],
        "multiselect": [st.builds(c, st.sampled_from(["has_any", "has_all", "has_none"]),
                                  st.lists(ids, min_size=1, max_size=2, unique=True))],
        "checkbox": [st.builds(c, st.sampled_from(["is_true", "is_false"]))],
        "member": [st.builds(c, st.sampled_from(["eq", "ne"]), people),
                   st.builds(c, st.sampled_from(["is_me", "not_me", "in_my_departments"]))],
        "members": [st.builds(c, st.sampled_from(["has_any", "has_all", "has_none"]),
                              st.lists(people, min_size=1, max_size=2, unique=True)),
                    st.builds(c, st.just("has_me"))],
    }
    return st.one_of(*by_kind[kind], *(blank if kind != "checkbox" else []))


conditions = st.sampled_from(list(KINDS)).flatmap(condition)
trees = st.recursive(conditions, lambda inner: st.builds(
    lambda mode, items: {mode: items}, st.sampled_from(["and", "or"]), st.lists(inner, min_size=1, max_size=3)),
    max_leaves=6)
sortable = [f for f, k in KINDS.items() if k not in ("multiselect", "members")]
sorts = st.lists(st.builds(lambda f, d: {"field": f, "direction": d}, st.sampled_from(sortable),
                           st.sampled_from(["asc", "desc"])), max_size=3, unique_by=lambda s: s["field"])


async def _setup(rt: Runtime, me: str) -> tuple[Ctx, uuid.UUID, Any]:
    async with rt.db.transaction() as conn:
        owner = await users.create_user(conn, rt.clock, email=f"{uuid.uuid4().hex[:12]}@example.com", name="Owner")
        ctx = await orgs.create_org(conn, rt.clock, owner["id"], OrgCreate(name="Q"))
        app = await create_app(ctx, AppCreate(name="Q"))
        form = await create_form(ctx, app.id, msgspec.convert({"name": "Q", "fields": FIELDS}, FormDef))
    return ctx, form.id, owner


@pytest.fixture
def frozen(rt: Runtime) -> FrozenClock:
    clock = FrozenClock(NOW)
    rt.clock = clock
    return clock


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(record_data(), max_size=25), tree=trees, sort=sorts, limit=st.integers(1, 7))
async def test_queries_match_the_reference(rt: Runtime, frozen: FrozenClock, data: list[dict[str, Any]],
                                           tree: dict[str, Any], sort: list[dict[str, Any]], limit: int) -> None:
    ctx0, form_id, _ = await _setup(rt, PEOPLE[0])
    me = uuid.UUID(PEOPLE[0])
    recs = [Rec(new_id(), d, uuid.UUID(PEOPLE[i % 3]) if i % 4 else None) for i, d in enumerate(data)]
    async with rt.db.transaction() as conn:
        for r in recs:
            await conn.execute(records.insert().values(
                org_id=ctx0.org_id, id=r.id, form_id=form_id, form_version=1, version=1, data=r.data, status="none",
                created_by=r.created_by, created_at=NOW, updated_at=NOW))
    world = World(me, set(), set(), NOW)  # `me` belongs to no department in this org
    expected = [r.id for r in order([r for r in recs if matches(tree, r, KINDS, world, LABELS)], sort, KINDS, ORDER)]
    got: list[uuid.UUID] = []
    cursor = None
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=dataclasses.replace(Actor.system("test"), member_id=me), conn=conn,
                  clock=frozen)
        for _ in range(60):
            try:
                page = await query_records(ctx, form_id, RecordQuery(
                    filter=tree, sort=[SortKey(**s) for s in sort], cursor=cursor, limit=limit, count=not got))
            except ValidationFailed as exc:
                raise AssertionError((tree, sort, exc.errors)) from exc
            got += [r.id for r in page.items]
            if page.count is not None:
                assert page.count.exact and page.count.value == len(expected), (tree, data)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert got == expected, (tree, sort)


async def test_bad_filters_name_the_path(rt: Runtime) -> None:
    ctx0, form_id, _ = await _setup(rt, PEOPLE[0])
    bad = [
        ({"and": [{"field": "Nope", "op": "eq", "value": 1}]}, "$.filter.and[0].field", "field"),
        ({"field": "Amount", "op": "contains", "value": "x"}, "$.filter.op", "operator"),
        ({"field": "Amount", "op": "gt", "value": "ten"}, "$.filter.value", "value"),
        ({"field": "Status", "op": "eq", "value": "Maybe"}, "$.filter.value", "value"),
        ({"field": "Due", "op": "in_period", "value": "someday"}, "$.filter.value", "value"),
        ({"field": "Due", "op": "between", "value": ["2026-02-01", "2026-01-01"]}, "$.filter.value", "value"),
        ({"or": [{"field": "Paid", "op": "is_true", "value": 3}]}, "$.filter.or[0].value", "value"),
        ({"and": {"field": "Paid"}}, "$.filter.and", "type"),
        ({"formula": "Amount +"}, "$.filter.formula", "formula"),
        ({"formula": "Amount + 1"}, "$.filter.formula", "formula"),
        ([1], "$.filter", "type"),
    ]
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        for tree, path, rule in bad:
            with pytest.raises(ValidationFailed) as err:
                await query_records(ctx, form_id, RecordQuery(filter=tree))  # type: ignore[arg-type]
            assert (err.value.errors[0].path, err.value.errors[0].rule) == (path, rule), tree
        with pytest.raises(ValidationFailed) as err:
            await query_records(ctx, form_id, RecordQuery(sort=[SortKey("Tags")]))
        assert err.value.errors[0].path == "$.sort[0].field"


async def test_formula_conditions_and_search(rt: Runtime, frozen: FrozenClock) -> None:
    ctx0, form_id, _ = await _setup(rt, PEOPLE[0])
    from tack.records.models import RecordCreate
    from tack.records.service import create_record

    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=frozen)
        for title, amount, status in [("Lunch with 王芳", 30, "Open"), ("Taxi", 1200, "Done"), ("Hotel", 800, "Open")]:
            await create_record(ctx, form_id, RecordCreate(data={"Title": title, "Amount": amount, "Status": status}))
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=frozen)

        async def titles(**kw: Any) -> list[str]:
            page = await query_records(ctx, form_id, RecordQuery(sort=[SortKey("Title")], **kw))
            return [r.data["f_text0001"] for r in page.items]

        assert await titles(filter={"formula": 'AND([Amount] * 2 > 1000, Status = "Open")'}) == ["Hotel"]
        assert await titles(search="王芳") == ["Lunch with 王芳"]
        assert await titles(search="open") == ["Hotel", "Lunch with 王芳"]  # select labels are searched
        assert await titles(search="open hot") == ["Hotel"]
        assert await titles(search="%") == []


def test_periods() -> None:
    sat = dt.date(2026, 11, 21)
    assert day_range("this_week", sat) == (dt.date(2026, 11, 16), dt.date(2026, 11, 23))
    assert day_range("last_month", sat) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert day_range("this_quarter", sat) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert day_range("last_quarter", dt.date(2026, 2, 3)) == (dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    assert day_range({"last_days": 30}, sat) == (dt.date(2026, 10, 23), dt.date(2026, 11, 22))
    assert day_range("next_year", sat) == (dt.date(2027, 1, 1), dt.date(2028, 1, 1))


async def test_count_estimates_beyond_the_cap(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from tack.records.query import counts

    monkeypatch.setattr(counts, "EXACT_UP_TO", 10)
    monkeypatch.setattr(counts, "SAMPLE", 20)
    ctx0, form_id, _ = await _setup(rt, PEOPLE[0])
    async with rt.db.transaction() as conn:
        await conn.execute(records.insert(), [dict(
            org_id=ctx0.org_id, id=new_id(), form_id=form_id, form_version=1, version=1, status="none",
            data={"f_num00001": i % 2}, created_at=NOW, updated_at=NOW) for i in range(60)])
        if rt.db.is_postgres:
            await conn.execute(sa.text("ANALYZE records"))
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        page = await query_records(ctx, form_id, RecordQuery(count=True, limit=1))
        assert page.count is not None and not page.count.exact and page.count.value >= 11
        page = await query_records(ctx, form_id, RecordQuery(
            count=True, limit=1, filter={"field": "Amount", "op": "eq", "value": 1}))
        assert page.count is not None and page.count.value >= 11


async def test_forged_cursors_are_refused(rt: Runtime) -> None:
    from tack.core.pagination import encode_cursor

    ctx0, form_id, _ = await _setup(rt, PEOPLE[0])
    async with rt.db.transaction() as conn:
        await conn.execute(records.insert(), [dict(
            org_id=ctx0.org_id, id=new_id(), form_id=form_id, form_version=1, version=1, status="none",
            data={"f_num00001": i, "f_text0001": f"t{i}"}, created_at=NOW, updated_at=NOW) for i in range(3)])
    async with rt.db.transaction(write=False) as conn:
        ctx = Ctx(org_id=ctx0.org_id, actor=Actor.system("test"), conn=conn, clock=rt.clock)
        for field in ("Amount", "Title"):
            page = await query_records(ctx, form_id, RecordQuery(sort=[SortKey(field)], limit=1))
            assert page.next_cursor
            good = __import__("tack.core.pagination", fromlist=["decode_cursor"]).decode_cursor(
                page.next_cursor, str, lambda v: v, str)
            assert good is not None
            for forged in (encode_cursor([good[0], "abc" if field == "Amount" else 5, good[2]]),
                           encode_cursor(["other-sort", good[1], good[2]]), encode_cursor([good[0], good[1], "x"]),
                           "!!!"):
                with pytest.raises(ValidationFailed):
                    await query_records(ctx, form_id, RecordQuery(sort=[SortKey(field)], cursor=forged))
