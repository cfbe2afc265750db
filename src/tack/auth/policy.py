"""The permission policy: one place answers "may this actor do this to that".

Every service command and query calls `require(ctx.actor, action, ...)` before it reads or
writes. An action names a rule: the token scope it needs and which kinds of actor may do it.
Sub-admins pass a rule marked `sub_admin` only when every department the action touches lies
inside a subtree they manage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tack.core.ctx import Actor
from tack.core.errors import Forbidden

# Scopes a token can carry. Sessions carry none: a person is limited by their role alone.
SCOPES: dict[str, str] = {
    "org:read": "Read the organization's settings",
    "org:write": "Change the organization's settings",
    "directory:read": "Read departments, members and roles",
    "directory:write": "Create and change departments, members, roles and invitations",
    "tokens:read": "List API tokens",
    "tokens:write": "Create and revoke API tokens",
    "audit:read": "Read the audit log",
    "files:read": "Read and download files",
    "apps:read": "Read apps and their forms",
    "apps:write": "Create and change apps and forms",
    "records:read": "Read records, their history and comments",
    "records:write": "Create, change and delete records; comment",
    "files:write": "Upload files and delete them",
}

# A write scope carries its read scope: every command answers with what it wrote, and a
# program that may change the directory must be able to see what it changes.
IMPLIED_BY: dict[str, str] = {"org:read": "org:write", "directory:read": "directory:write",
                              "tokens:read": "tokens:write", "files:read": "files:write",
                              "apps:read": "apps:write", "records:read": "records:write"}


def holds_scope(scopes: Iterable[str], scope: str) -> bool:
    held = set(scopes)
    return scope in held or IMPLIED_BY.get(scope) in held


# owner, admin, sub_admin, member: a person's role in the organization.
# service: an organization token (a program acting for the organization, within its scopes).
EVERYONE = frozenset({"owner", "admin", "sub_admin", "member", "service"})
ADMINS = frozenset({"owner", "admin", "service"})
ADMINS_AND_SUB = frozenset({"owner", "admin", "sub_admin", "service"})
OWNER = frozenset({"owner"})


@dataclass(frozen=True)
class Rule:
    scope: str
    who: frozenset[str]


RULES: dict[str, Rule] = {
    "org.read": Rule("org:read", EVERYONE),
    "org.update": Rule("org:write", ADMINS),
    "directory.read": Rule("directory:read", EVERYONE),
    "department.write": Rule("directory:write", ADMINS_AND_SUB),
    "member.write": Rule("directory:write", ADMINS_AND_SUB),
    "member.set_admin": Rule("directory:write", OWNER),
    "role.write": Rule("directory:write", ADMINS),
    "invitation.read": Rule("directory:read", ADMINS_AND_SUB),
    "invitation.write": Rule("directory:write", ADMINS_AND_SUB),
    "token.read": Rule("tokens:read", EVERYONE),
    "token.write_personal": Rule("tokens:write", EVERYONE - {"service"}),
    "token.write_org": Rule("tokens:write", ADMINS),
    "token.read_all": Rule("tokens:read", ADMINS),
    "audit.read": Rule("audit:read", OWNER | {"service"}),
    # Files: any member may upload and read their organization's files (records will narrow
    # reading: tack.files.service.can_read); the uploader or an admin may delete one.
    "file.read": Rule("files:read", EVERYONE),
    # Apps: org admins create and delete them; an app's own administrators (tack.access) build
    # its forms; what each member may do with its records is its permission groups' say.
    "app.read": Rule("apps:read", EVERYONE),
    "app.manage": Rule("apps:write", ADMINS),
    "record.read": Rule("records:read", EVERYONE),
    "record.write": Rule("records:write", EVERYONE),
    "file.write": Rule("files:write", EVERYONE),
    "file.delete_any": Rule("files:write", ADMINS),
    # Views and permission groups: any member may try; tack.views and tack.access then narrow it
    # to the app (shared views and groups: the app's administrators; personal views: their owner).
    "view.read": Rule("apps:read", EVERYONE),
    "view.write": Rule("apps:write", EVERYONE),
    "access.read": Rule("apps:read", EVERYONE),
    "access.manage": Rule("apps:write", EVERYONE),
}


def level(actor: Actor) -> str:
    if actor.kind == "system":
        return "owner"
    return "service" if actor.is_service else actor.admin_role


def allows(actor: Actor, action: str, *, department_paths: Iterable[str] | None = None) -> bool:
    try:
        require(actor, action, department_paths=department_paths)
    except Forbidden:
        return False
    return True


def require_above(actor: Actor, target_admin_role: str) -> None:
    """A sub-admin manages the people of their departments, not an owner or admin who sits in
    one of them: otherwise they could edit or lock out those who appointed them."""
    if level(actor) == "sub_admin" and target_admin_role in ("owner", "admin"):
        raise Forbidden("A sub-admin cannot change an owner or an admin.")


def require(actor: Actor, action: str, *, department_paths: Iterable[str] | None = None) -> None:
    """Raise Forbidden unless `actor` may do `action`. `department_paths` are the materialized
    paths of the departments the action touches (for sub-admins' subtree check)."""
    rule = RULES[action]
    if actor.kind == "system":
        return
    if actor.scopes is not None and not holds_scope(actor.scopes, rule.scope):
        raise Forbidden(f"This token lacks the scope {rule.scope!r}.", extra={"required_scope": rule.scope})
    lvl = level(actor)
    if lvl not in rule.who:
        raise Forbidden(f"Your role ({lvl}) may not do {action!r}.")
    if lvl == "sub_admin" and "member" not in rule.who:
        # What any member may do, a sub-admin may do anywhere; their extra rights hold only
        # inside the departments they administer.
        paths = list(department_paths or [])
        if not paths or not all(any(p.startswith(a) for a in actor.admin_paths) for p in paths):
            raise Forbidden("This is outside the departments you administer.")
