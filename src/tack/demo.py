"""The demo organization `tack demo` loads: a small company with a department tree, managers,
heads, roles and an admin, and the app templates of `examples/apps/` installed, so every screen
has something to show on first run."""

from __future__ import annotations

import msgspec
import sqlalchemy as sa

from tack.auth.passwords import hash_password
from tack.config import Settings
from tack.core.clock import SYSTEM_CLOCK
from tack.core.ctx import Ctx
from tack.core.db import Database
from tack.directory import departments, members, orgs, roles, users
from tack.directory.models import (
    AdminSet,
    DepartmentCreate,
    MemberCreate,
    MemberUpdate,
    OrgCreate,
    RoleCreate,
)
from tack.directory.tables import users as users_t

DEMO_PASSWORD = "demo-password"
DEMO_ORG = "Demo Co."

# department -> parent
TREE = [
    ("Management", None), ("Engineering", None), ("Backend", "Engineering"), ("Frontend", "Engineering"),
    ("Sales", None), ("Sales East", "Sales"), ("Sales West", "Sales"), ("Finance", None), ("HR", None),
]

# email, name, job title, department, manager email, head?
PEOPLE = [
    ("alice@example.com", "Alice Chen", "CEO", "Management", None, True),
    ("bob@example.com", "Bob Li", "CTO", "Engineering", "alice@example.com", True),
    ("carol@example.com", "Carol Wang", "Backend Engineer", "Backend", "dan@example.com", False),
    ("dan@example.com", "Dan Zhao", "Backend Lead", "Backend", "bob@example.com", True),
    ("emma@example.com", "Emma Liu", "Frontend Lead", "Frontend", "bob@example.com", True),
    ("frank@example.com", "Frank Sun", "Frontend Engineer", "Frontend", "emma@example.com", False),
    ("grace@example.com", "Grace Zhou", "Sales Director", "Sales", "alice@example.com", True),
    ("henry@example.com", "Henry Wu", "Account Manager", "Sales East", "grace@example.com", False),
    ("iris@example.com", "Iris Xu", "Account Manager", "Sales West", "grace@example.com", False),
    ("jack@example.com", "Jack Ma", "CFO", "Finance", "alice@example.com", True),
    ("kate@example.com", "Kate Huang", "Accountant", "Finance", "jack@example.com", False),
    ("leo@example.com", "Leo Guo", "HR Manager", "HR", "alice@example.com", True),
    ("mia@example.com", "Mia He", "Recruiter", "HR", "leo@example.com", False),
    ("wang.fang@example.com", "王芳", "前台", "Management", "alice@example.com", False),
]

ROLES = [("Finance", "Approves payments", ["jack@example.com", "kate@example.com"]),
         ("HR", "People matters", ["leo@example.com", "mia@example.com"]),
         ("Director", "Heads of business lines", ["bob@example.com", "grace@example.com", "jack@example.com"]),
         # Named by the purchasing template's approval flow.
         ("CFO", "Signs off large purchases", ["jack@example.com"]),
         ("Legal", "Reviews contracts", ["leo@example.com"]),
         ("Purchasing", "Places orders with suppliers", ["kate@example.com"])]


_hash_cache: list[str] = []


async def _demo_password_hash() -> str:
    """One argon2 hash of the (public) demo password per process: hashing costs a fifth of a
    second on purpose, and test suites load the demo hundreds of times."""
    if not _hash_cache:
        _hash_cache.append(await hash_password(DEMO_PASSWORD))
    return _hash_cache[0]


async def load_demo(settings: Settings, *, templates: bool = True) -> bool:
    """Create the demo organization unless it exists. True when it was created now. Tests that
    need no apps pass `templates=False` (installing them costs every such test time)."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as conn:
            if (await conn.execute(sa.select(users_t.c.id).where(users_t.c.email == PEOPLE[0][0]))).first():
                return False
            pw = await _demo_password_hash()
            owner = await users.create_user(conn, SYSTEM_CLOCK, email=PEOPLE[0][0], name=PEOPLE[0][1],
                                            password_hash=pw)
            ctx = await orgs.create_org(conn, SYSTEM_CLOCK, owner["id"], msgspec.convert(
                {"name": DEMO_ORG, "time_zone": "Asia/Shanghai"}, OrgCreate))
            await _fill(ctx, pw)
            if templates:
                await _install_templates(ctx)
        return True
    finally:
        await db.dispose()


async def _fill(ctx: Ctx, pw: str) -> None:
    org = await orgs.get_org(ctx)
    dept_ids = {None: org.root_department_id}
    for name, parent in TREE:
        d = await departments.create_department(ctx, DepartmentCreate(name=name, parent_id=dept_ids[parent]))
        dept_ids[name] = d.id
    member_ids = {}
    owner_id = ctx.actor.member_id
    for email, name, title, dept, _mgr, _head in PEOPLE:
        if email == PEOPLE[0][0]:
            assert owner_id is not None
            await members.update_member(ctx, owner_id, MemberUpdate(job_title=title, department_ids=[dept_ids[dept]]))
            member_ids[email] = owner_id
            continue
        m = await members.add_member(ctx, MemberCreate(name=name, email=email, job_title=title,
                                                       department_ids=[dept_ids[dept]]))
        member_ids[email] = m.id
        await ctx.conn.execute(users_t.update().where(users_t.c.id == m.user_id).values(
            password_hash=pw, locale="zh-CN" if not name.isascii() else "en"))
    for email, _n, _t, _d, mgr, _h in PEOPLE:
        if mgr:
            await members.update_member(ctx, member_ids[email], MemberUpdate(manager_id=member_ids[mgr]))
    heads: dict[str, list] = {}
    for email, _n, _t, dept, _m, head in PEOPLE:
        if head:
            heads.setdefault(dept, []).append(member_ids[email])
    for dept, ids in heads.items():
        await departments.set_heads(ctx, dept_ids[dept], ids)
    for name, desc, emails in ROLES:
        r = await roles.create_role(ctx, RoleCreate(name=name, description=desc))
        await roles.add_role_members(ctx, r.id, [member_ids[e] for e in emails])
    await members.set_admin_role(ctx, member_ids["leo@example.com"], AdminSet(admin_role="admin"))
    await members.set_admin_role(ctx, member_ids["grace@example.com"],
                                 AdminSet(admin_role="sub_admin", department_ids=[dept_ids["Sales"]]))


async def _install_templates(ctx: Ctx) -> None:
    from tack.apps.documents import import_app, load_template, template_names

    for name in template_names():
        await import_app(ctx, load_template(name))
