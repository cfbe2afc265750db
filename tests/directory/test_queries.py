"""The org-chart queries the approval engine asks, checked against answers worked out in plain
Python: from the demo company (src/tack/demo.py) and from random organizations (hypothesis)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tack.demo import DEMO_ORG, PEOPLE, ROLES, TREE
from tack.directory import departments, members, orgs, queries, roles, users
from tack.directory.models import DepartmentCreate, MemberCreate, MemberUpdate, OrgCreate, RoleCreate
from tack.runtime import Runtime
from tests.conftest import Api
from tests.directory.conftest import system_ctx

# -- the demo company, in plain Python ------------------------------------------------------

MANAGER = {e: m for e, _n, _t, _d, m, _h in PEOPLE}
NAME = {e: n for e, n, _t, _d, _m, _h in PEOPLE}
HOME = {e: d for e, _n, _t, d, _m, _h in PEOPLE}
PARENT: dict[str, str | None] = {DEMO_ORG: None} | {d: (p or DEMO_ORG) for d, p in TREE}
HEADS: dict[str, list[str]] = defaultdict(list)
for _e, _n, _t, _d, _m, _head in PEOPLE:
    if _head:
        HEADS[_d].append(_e)
ROLE_HOLDERS = {name: set(emails) for name, _desc, emails in ROLES}


def ref_chain(email: str) -> list[str]:
    out, cur = [], MANAGER[email]
    while cur is not None:
        out.append(cur)
        cur = MANAGER[cur]
    return out


def ref_ancestors(dept: str) -> list[str]:
    """The department, its parent, ... up to the root."""
    out: list[str] = []
    cur: str | None = dept
    while cur is not None:
        out.append(cur)
        cur = PARENT[cur]
    return out


def ref_subtree(dept: str) -> set[str]:
    return {d for d in PARENT if dept in ref_ancestors(d)}


def ids(ms: list[Any]) -> list[str]:
    return [str(m.id) if hasattr(m, "id") else m["id"] for m in ms]


# -- through the service layer ---------------------------------------------------------------

async def test_manager_queries_match_reference(rt: Runtime, demo: dict[str, Any]) -> None:
    mid = demo["members"]
    role_id = {}
    async with system_ctx(rt, demo["org_id"], write=False) as ctx:
        for r in (await roles.list_roles(ctx)).items:
            role_id[r.name] = r.id
        for email in MANAGER:
            chain = ref_chain(email)
            member = uuid.UUID(mid[email])
            for level in range(1, 6):
                got = await queries.manager_at(ctx, member, level)
                want = chain[level - 1] if level <= len(chain) else None
                assert (str(got.id) if got else None) == (mid[want] if want else None), (email, level)
            assert ids(await queries.manager_chain(ctx, member)) == [mid[e] for e in chain]
            for max_levels in (1, 2, 3):
                got_chain = await queries.manager_chain(ctx, member, max_levels=max_levels)
                assert ids(got_chain) == [mid[e] for e in chain[:max_levels]], (email, max_levels)
            for role, holders in ROLE_HOLDERS.items():
                want_chain = []
                for e in chain:
                    want_chain.append(e)
                    if e in holders:
                        break
                got_chain = await queries.manager_chain(ctx, member, until_role_id=role_id[role])
                assert ids(got_chain) == [mid[e] for e in want_chain], (email, role)
        # both limits at once: whichever stops first
        carol = uuid.UUID(mid["carol@example.com"])
        got_chain = await queries.manager_chain(ctx, carol, max_levels=1, until_role_id=role_id["Director"])
        assert ids(got_chain) == [mid["dan@example.com"]]
        got_chain = await queries.manager_chain(ctx, carol, max_levels=5, until_role_id=role_id["Director"])
        assert ids(got_chain) == [mid["dan@example.com"], mid["bob@example.com"]]


async def test_department_heads_match_reference(rt: Runtime, demo: dict[str, Any]) -> None:
    mid, did = demo["members"], demo["departments"]
    async with system_ctx(rt, demo["org_id"], write=False) as ctx:
        for dept in PARENT:
            d = uuid.UUID(did[dept])
            anc = ref_ancestors(dept)
            own = await queries.department_heads(ctx, d)
            assert ids(own) == [mid[e] for e in HEADS[dept]], dept
            nearest_first = [mid[e] for a in anc for e in HEADS[a]]
            assert ids(await queries.department_heads(ctx, d, include_ancestors=True)) == nearest_first, dept
            for level in range(1, 6):
                want = [mid[e] for e in HEADS[anc[level - 1]]] if level <= len(anc) else []
                assert ids(await queries.department_heads(ctx, d, level=level)) == want, (dept, level)
                # `level` wins over include_ancestors: one level's heads only
                both = await queries.department_heads(ctx, d, include_ancestors=True, level=level)
                assert ids(both) == want


async def test_role_members_and_member_departments(rt: Runtime, demo: dict[str, Any]) -> None:
    mid, did = demo["members"], demo["departments"]
    async with system_ctx(rt, demo["org_id"]) as ctx:
        role_id = {r.name: r.id for r in (await roles.list_roles(ctx)).items}
        for role, holders in ROLE_HOLDERS.items():
            got = await queries.role_members_of(ctx, role_id[role])
            assert [m.name for m in got] == sorted(NAME[e] for e in holders), "ordered by name"
            for dept in PARENT:
                inside = ref_subtree(dept)
                want = {mid[e] for e in holders if HOME[e] in inside}
                got = await queries.role_members_of(ctx, role_id[role], within_department_id=uuid.UUID(did[dept]))
                assert set(ids(got)) == want, (role, dept)
        # Jack (Finance, a Director) also sits in Sales East: both Director lookups now find him
        jack = uuid.UUID(mid["jack@example.com"])
        await members.update_member(ctx, jack, MemberUpdate(department_ids=[uuid.UUID(did["Finance"]),
                                                                           uuid.UUID(did["Sales East"])]))
        got = await queries.member_departments(ctx, jack)
        assert {str(d.id) for d in got} == {did["Finance"], did["Sales East"]}
        sales = await queries.role_members_of(ctx, role_id["Director"], within_department_id=uuid.UUID(did["Sales"]))
        assert set(ids(sales)) == {mid["grace@example.com"], mid["jack@example.com"]}
        # a deactivated holder is left out by default and kept with active_only=False
        await members.deactivate_member(ctx, jack)
        assert mid["jack@example.com"] not in ids(await queries.role_members_of(ctx, role_id["Director"]))
        assert mid["jack@example.com"] in ids(await queries.role_members_of(ctx, role_id["Director"],
                                                                            active_only=False))
        for email in MANAGER:
            if email == "jack@example.com":
                continue
            got = await queries.member_departments(ctx, uuid.UUID(mid[email]))
            assert [d.name for d in got] == [HOME[email]]


# -- through the API ---------------------------------------------------------------------------

async def test_manager_queries_over_api(alice: Api, demo: dict[str, Any]) -> None:
    org, mid = demo["org_id"], demo["members"]
    base = f"/api/v1/orgs/{org}/members"
    for email in ("carol@example.com", "henry@example.com", "alice@example.com"):
        chain = ref_chain(email)
        for level in range(1, len(chain) + 2):
            r = await alice.get(f"{base}/{mid[email]}/manager", params={"level": level})
            if level <= len(chain):
                assert r.status_code == 200, r.text
                assert r.json()["id"] == mid[chain[level - 1]]
            else:
                assert r.status_code == 404
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["type"].endswith("/not-found")
    carol = mid["carol@example.com"]
    r = await alice.get(f"{base}/{carol}/manager")
    assert r.json()["name"] == "Dan Zhao", "level defaults to 1"
    for bad in (0, 21, "x"):
        r = await alice.get(f"{base}/{carol}/manager", params={"level": bad})
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["path"] == "level"
    r = await alice.get(f"{base}/{uuid.uuid4()}/manager")
    assert r.status_code == 404

    r = await alice.get(f"{base}/{carol}/manager-chain")
    assert [m["name"] for m in r.json()["items"]] == ["Dan Zhao", "Bob Li", "Alice Chen"]
    r = await alice.get(f"{base}/{carol}/manager-chain", params={"max_levels": 2})
    assert [m["name"] for m in r.json()["items"]] == ["Dan Zhao", "Bob Li"]
    director = next(x["id"] for x in (await alice.get(f"/api/v1/orgs/{org}/roles")).json()["items"]
                    if x["name"] == "Director")
    r = await alice.get(f"{base}/{carol}/manager-chain", params={"until_role_id": director})
    assert [m["name"] for m in r.json()["items"]] == ["Dan Zhao", "Bob Li"], "stops at and includes Bob"
    r = await alice.get(f"{base}/{mid['alice@example.com']}/manager-chain")
    assert r.status_code == 200 and r.json()["items"] == []
    r = await alice.get(f"{base}/{carol}/manager-chain", params={"until_role_id": str(uuid.uuid4())})
    assert len(r.json()["items"]) == 3, "an unknown role stops nowhere"


async def test_department_queries_over_api(alice: Api, demo: dict[str, Any]) -> None:
    org, mid, did = demo["org_id"], demo["members"], demo["departments"]
    heads = f"/api/v1/orgs/{org}/departments/{did['Backend']}/heads"
    r = await alice.get(heads)
    assert ids(r.json()["items"]) == [mid["dan@example.com"]]
    r = await alice.get(heads, params={"include_ancestors": "true"})
    assert ids(r.json()["items"]) == [mid["dan@example.com"], mid["bob@example.com"]]
    r = await alice.get(heads, params={"level": 2})
    assert ids(r.json()["items"]) == [mid["bob@example.com"]]
    r = await alice.get(heads, params={"level": 3})
    assert r.json()["items"] == [], "the root (the company) has no head"
    r = await alice.get(heads, params={"level": 9})
    assert r.status_code == 200 and r.json()["items"] == []
    r = await alice.get(f"/api/v1/orgs/{org}/departments/{uuid.uuid4()}/heads")
    assert r.status_code == 404

    director = next(x["id"] for x in (await alice.get(f"/api/v1/orgs/{org}/roles")).json()["items"]
                    if x["name"] == "Director")
    rm = f"/api/v1/orgs/{org}/roles/{director}/members"
    r = await alice.get(rm)
    assert [m["name"] for m in r.json()["items"]] == ["Bob Li", "Grace Zhou", "Jack Ma"]
    r = await alice.get(rm, params={"department_id": did["Engineering"]})
    assert [m["name"] for m in r.json()["items"]] == ["Bob Li"]
    r = await alice.get(rm, params={"department_id": did[DEMO_ORG]})
    assert len(r.json()["items"]) == 3, "the root's subtree is everyone"
    r = await alice.get(rm, params={"department_id": did[DEMO_ORG], "include_descendants": "false"})
    assert r.json()["items"] == []
    r = await alice.get(rm, params={"department_id": did["Backend"]})
    assert r.json()["items"] == []

    carol = mid["carol@example.com"]
    r = await alice.patch(f"/api/v1/orgs/{org}/members/{carol}",
                          {"department_ids": [did["Backend"], did["Frontend"], did["HR"]]})
    assert r.status_code == 200, r.text
    r = await alice.get(f"/api/v1/orgs/{org}/members/{carol}/departments")
    assert {d["name"] for d in r.json()["items"]} == {"Backend", "Frontend", "HR"}
    r = await alice.get(f"/api/v1/orgs/{org}/members/{uuid.uuid4()}/departments")
    assert r.status_code == 404


# -- random organizations --------------------------------------------------------------------

@st.composite
def org_shapes(draw: st.DrawFn) -> dict[str, Any]:
    """A random org: departments (parent index -1 = root), members with 1-2 departments, a
    manager among the earlier members (so no loops), heads, and two roles."""
    n_depts = draw(st.integers(1, 6))
    parents = [draw(st.integers(-1, i - 1)) for i in range(n_depts)]
    n_members = draw(st.integers(1, 8))
    people = []
    for i in range(n_members):
        depts = draw(st.lists(st.integers(-1, n_depts - 1), min_size=1, max_size=2, unique=True))
        manager = draw(st.none() | st.integers(0, i - 1)) if i else None
        head_of = [d for d in depts if draw(st.booleans())]
        people.append({"depts": depts, "manager": manager, "head_of": head_of})
    role_sets = [draw(st.sets(st.integers(0, n_members - 1))) for _ in range(2)]
    return {"parents": parents, "people": people, "roles": role_sets}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=org_shapes())
async def test_queries_on_random_orgs(rt: Runtime, shape: dict[str, Any]) -> None:
    async with rt.db.transaction() as conn:
        owner = await users.create_user(conn, rt.clock, email=f"{uuid.uuid4().hex[:12]}@example.com", name="Owner")
        ctx = await orgs.create_org(conn, rt.clock, owner["id"], OrgCreate(name="Random"))
        root = (await orgs.get_org(ctx)).root_department_id
        dept: dict[int, uuid.UUID] = {-1: root}
        parent_of: dict[int, int | None] = {-1: None}
        for i, p in enumerate(shape["parents"]):
            dept[i] = (await departments.create_department(ctx, DepartmentCreate(name=f"D{i}", parent_id=dept[p]))).id
            parent_of[i] = p
        mem: dict[int, uuid.UUID] = {}
        for i, person in enumerate(shape["people"]):
            m = await members.add_member(ctx, MemberCreate(
                name=f"P{i:02d}", email=f"{uuid.uuid4().hex[:12]}@example.com",
                department_ids=[dept[d] for d in person["depts"]],
                manager_id=mem[person["manager"]] if person["manager"] is not None else None))
            mem[i] = m.id
        heads: dict[int, list[int]] = defaultdict(list)
        for i, person in enumerate(shape["people"]):
            for d in person["head_of"]:
                heads[d].append(i)
        for d, who in heads.items():
            await departments.set_heads(ctx, dept[d], [mem[i] for i in who])
        role_ids = []
        for k, holders in enumerate(shape["roles"]):
            r = await roles.create_role(ctx, RoleCreate(name=f"R{k}"))
            if holders:
                await roles.add_role_members(ctx, r.id, [mem[i] for i in sorted(holders)])
            role_ids.append(r.id)

        def chain_of(i: int) -> list[int]:
            out, cur = [], shape["people"][i]["manager"]
            while cur is not None:
                out.append(cur)
                cur = shape["people"][cur]["manager"]
            return out

        def ancestors(d: int) -> list[int]:
            out: list[int] = []
            cur: int | None = d
            while cur is not None:
                out.append(cur)
                cur = parent_of[cur]
            return out

        for i in range(len(shape["people"])):
            chain = chain_of(i)
            got = await queries.manager_chain(ctx, mem[i])
            assert [m.id for m in got] == [mem[j] for j in chain]
            for level in range(1, len(chain) + 2):
                m = await queries.manager_at(ctx, mem[i], level)
                assert (m.id if m else None) == (mem[chain[level - 1]] if level <= len(chain) else None)
            for k, holders in enumerate(shape["roles"]):
                want = []
                for j in chain:
                    want.append(j)
                    if j in holders:
                        break
                got = await queries.manager_chain(ctx, mem[i], until_role_id=role_ids[k])
                assert [m.id for m in got] == [mem[j] for j in want]
            got_depts = await queries.member_departments(ctx, mem[i])
            assert {d.id for d in got_depts} == {dept[d] for d in shape["people"][i]["depts"]}
        for d in dept:
            anc = ancestors(d)
            want_heads = [mem[i] for a in anc for i in sorted(heads[a], key=lambda i: mem[i])]
            got = await queries.department_heads(ctx, dept[d], include_ancestors=True)
            assert [m.id for m in got] == list(dict.fromkeys(want_heads))
            for level in range(1, len(anc) + 2):
                want = sorted((mem[i] for i in heads[anc[level - 1]]) if level <= len(anc) else [])
                got = await queries.department_heads(ctx, dept[d], level=level)
                assert [m.id for m in got] == want
            subtree = {x for x in dept if d in ancestors(x)}
            for k, holders in enumerate(shape["roles"]):
                want_set = {mem[i] for i in holders if set(shape["people"][i]["depts"]) & subtree}
                got = await queries.role_members_of(ctx, role_ids[k], within_department_id=dept[d])
                assert {m.id for m in got} == want_set


async def test_deactivated_heads_are_skipped(rt: Runtime, demo: dict[str, Any], alice: Api) -> None:
    """A deactivated head can act on nothing, so the approval engine must not be sent to them;
    their head flag is kept for when they come back."""
    mid, did = demo["members"], demo["departments"]
    dan = uuid.UUID(mid["dan@example.com"])
    async with system_ctx(rt, demo["org_id"]) as ctx:
        await members.deactivate_member(ctx, dan)
        backend = uuid.UUID(did["Backend"])
        assert await queries.department_heads(ctx, backend) == []
        assert ids(await queries.department_heads(ctx, backend, include_ancestors=True)) == [mid["bob@example.com"]]
        assert ids(await queries.department_heads(ctx, backend, active_only=False)) == [mid["dan@example.com"]]
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/departments/{did['Backend']}/heads")
    assert r.json()["items"] == []
    await alice.post(f"/api/v1/orgs/{demo['org_id']}/members/{dan}/reactivate")
    r = await alice.get(f"/api/v1/orgs/{demo['org_id']}/departments/{did['Backend']}/heads")
    assert ids(r.json()["items"]) == [mid["dan@example.com"]]
