"""HTTP handlers for signing in, the signed-in person (/me), joining by invitation, creating
organizations, and API tokens."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from msgspec import UNSET, Meta, UnsetType

from tack.auth import accounts, sessions, tokens
from tack.auth.policy import SCOPES
from tack.core.errors import Conflict, Unauthorized, ValidationFailed
from tack.directory import invitations, orgs, users
from tack.directory.models import Email, InvitationPreview, Name, Org, OrgCreate, Phone, TimeZone, Url
from tack.http.context import check_csrf, org_ctx, runtime_of, user_conn

Req = Request[Any, Any, Any]
Password = Annotated[str, Meta(min_length=1, max_length=1000)]


class User(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    phone: str | None
    avatar_url: str | None
    locale: str
    time_zone: str
    last_org_id: uuid.UUID | None


class Membership(msgspec.Struct):
    org_id: uuid.UUID
    org_name: str
    member_id: uuid.UUID
    admin_role: str


class Me(msgspec.Struct):
    user: User
    csrf_token: str | None
    memberships: list[Membership]


class SignIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    phone: Phone | None | UnsetType = UNSET
    locale: Literal["en", "zh-CN"] | UnsetType = UNSET
    time_zone: TimeZone | UnsetType = UNSET
    avatar_url: Url | None | UnsetType = UNSET
    last_org_id: uuid.UUID | None | UnsetType = UNSET


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class ResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class ResetConfirm(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=200)]
    password: Password


class JoinRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    email: Email | None = None
    password: Password | None = None


class Scope(msgspec.Struct):
    name: str
    description: str


class ScopeList(msgspec.Struct):
    items: list[Scope]


def _client_ip(request: Req) -> str:
    return request.client.host if request.client else "unknown"


async def _me(conn: Any, user_id: uuid.UUID, csrf: str | None) -> Me:
    u = await users.get_user(conn, user_id)
    ms = await users.memberships(conn, user_id)
    return Me(user=User(id=u["id"], email=u["email"], name=u["name"], phone=u["phone"], avatar_url=u["avatar_url"],
                        locale=u["locale"], time_zone=u["time_zone"], last_org_id=u["last_org_id"]),
              csrf_token=csrf, memberships=[Membership(**dict(m)) for m in ms])


async def _signed_in_response(request: Req, user_id: uuid.UUID, status: int = 200) -> Response[Me]:
    rt = runtime_of(request)
    async with rt.db.transaction() as conn:
        value, csrf = await sessions.create_session(conn, rt.clock, user_id, days=rt.settings.session_days,
                                                    user_agent=request.headers.get("user-agent"))
        me = await _me(conn, user_id, csrf)
    cookie = Cookie(key=sessions.COOKIE, value=value, httponly=True, samesite="lax", path="/",
                    secure=rt.settings.secure_cookies, max_age=rt.settings.session_days * 86400)
    return Response(me, status_code=status, cookies=[cookie])


@post("/auth/sign-in", status_code=200, summary="Sign in with email and password (sets the session cookie)")
async def sign_in(request: Req, data: SignIn) -> Response[Me]:
    rt = runtime_of(request)
    user = await accounts.sign_in(rt.db, rt.clock, data.email, data.password, client_ip=_client_ip(request),
                                  limit=rt.settings.login_attempts_per_15min)
    return await _signed_in_response(request, user["id"])


@post("/auth/sign-out", status_code=204, summary="Sign out (ends this session)")
async def sign_out(request: Req) -> Response[None]:
    rt = runtime_of(request)
    value = request.cookies.get(sessions.COOKIE)
    if value:
        async with rt.db.transaction() as conn:
            s = await sessions.find_session(conn, rt.clock, value)
            if s is not None:  # a stale cookie is simply cleared
                check_csrf(request, s)  # like any other unsafe request
                await sessions.end_session(conn, value)
    return Response(None, status_code=204, cookies=[Cookie(key=sessions.COOKIE, value="", max_age=0, path="/")])


@post("/auth/password-reset", status_code=202, summary="Email a password-reset link (always 202)")
async def request_reset(request: Req, data: ResetRequest) -> dict[str, str]:
    rt = runtime_of(request)
    async with rt.db.transaction() as conn:
        await accounts.request_password_reset(conn, rt.clock, data.email, rt.settings.base_url, _client_ip(request))
    return {"status": "If an account has this email, a reset link is on its way."}


@post("/auth/password-reset/confirm", status_code=204, summary="Set a new password with a reset token")
async def confirm_reset(request: Req, data: ResetConfirm) -> None:
    rt = runtime_of(request)
    async with rt.db.transaction() as conn:
        await accounts.confirm_password_reset(conn, rt.clock, data.token, data.password)


@get("/me", summary="The signed-in person and their organizations")
async def get_me(request: Req) -> Me:
    async with user_conn(request) as (p, conn):
        assert p.user_id is not None
        return await _me(conn, p.user_id, p.csrf_token)


@patch("/me", summary="Edit your own profile")
async def update_me(request: Req, data: ProfileUpdate) -> Me:
    async with user_conn(request) as (p, conn):
        assert p.user_id is not None
        await users.update_profile(conn, p.user_id, data)
        return await _me(conn, p.user_id, p.csrf_token)


@post("/me/password", status_code=204, summary="Change your password (ends your other sessions)")
async def change_password(request: Req, data: PasswordChange) -> None:
    async with user_conn(request) as (p, conn):
        assert p.user_id is not None
        await accounts.change_password(conn, p.user_id, data.current_password, data.new_password, p.session_value)


@post("/orgs", summary="Create an organization (you become its owner)")
async def create_org(request: Req, data: OrgCreate) -> Org:
    rt = runtime_of(request)
    async with user_conn(request) as (p, conn):
        if p.token is not None:
            raise Unauthorized("Create organizations from a signed-in session.")
        assert p.user_id is not None
        ctx = await orgs.create_org(conn, rt.clock, p.user_id, data)
        return await orgs.get_org(ctx)


@get("/scopes", summary="The scopes an API token can carry")
async def list_scopes() -> ScopeList:
    return ScopeList(items=[Scope(name=k, description=v) for k, v in SCOPES.items()])


@get("/invitations/{code:str}", summary="What an invitation leads to (no sign-in needed)")
async def preview_invitation(request: Req, code: Annotated[str, Parameter(max_length=32, description="The invitation code")]) -> InvitationPreview:
    rt = runtime_of(request)
    async with rt.db.transaction(write=False) as conn:
        return await invitations.preview(conn, rt.clock, code)


@post("/invitations/{code:str}/accept", status_code=200, summary="Join by invitation (signs up if needed)")
async def accept_invitation(request: Req, code: Annotated[str, Parameter(max_length=32, description="The invitation code")], data: JoinRequest) -> Response[Me]:
    rt = runtime_of(request)
    if await _signed_in(request):
        async with user_conn(request) as (p, conn):
            assert p.user_id is not None
            await invitations.accept(conn, rt.clock, code, p.user_id)
            return Response(await _me(conn, p.user_id, p.csrf_token))
    missing = [f for f in ("name", "email", "password") if getattr(data, f) is None]
    if missing:
        raise ValidationFailed("Sign in, or give a name, an email and a password to join.",
                               errors=[_required(f) for f in missing])
    assert data.email and data.name and data.password
    async with rt.db.transaction() as conn:
        await invitations.preview(conn, rt.clock, code)  # fail early on a bad code
        if await users.find_user_by_email(conn, data.email) is not None:
            raise Conflict("An account with this email exists: sign in first, then open the link again.")
        accounts.check_password_rules(data.password, "$.password")
        from tack.auth.passwords import hash_password

        user = await users.create_user(conn, rt.clock, email=data.email, name=data.name,
                                       password_hash=await hash_password(data.password))
        await invitations.accept(conn, rt.clock, code, user["id"])
    return await _signed_in_response(request, user["id"])


async def _signed_in(request: Req) -> bool:
    """A token, or a live session. A stale cookie left in a shared browser must not stop a new
    person from joining: they are simply not signed in."""
    if request.headers.get("authorization"):
        return True
    value = request.cookies.get(sessions.COOKIE)
    if not value:
        return False
    rt = runtime_of(request)
    async with rt.db.transaction(write=False) as conn:
        return await sessions.find_session(conn, rt.clock, value) is not None


def _required(field: str) -> Any:
    from tack.core.errors import FieldError

    return FieldError(path=f"$.{field}", message="required", rule="required")


# -- tokens (organization-scoped) -----------------------------------------------------------

@get("/orgs/{org_id:str}/tokens", summary="List API tokens")
async def list_tokens(request: Req, org_id: uuid.UUID) -> tokens.TokenList:
    async with org_ctx(request, org_id) as ctx:
        return await tokens.list_tokens(ctx)


@post("/orgs/{org_id:str}/tokens", summary="Create an API token (the secret is shown once)")
async def create_token(request: Req, org_id: uuid.UUID, data: tokens.TokenCreate) -> tokens.TokenCreated:
    async with org_ctx(request, org_id) as ctx:
        return await tokens.create_token(ctx, data)


@delete("/orgs/{org_id:str}/tokens/{token_id:str}", summary="Revoke an API token")
async def revoke_token(request: Req, org_id: uuid.UUID, token_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await tokens.revoke_token(ctx, token_id)


router = Router(path="/api/v1", tags=["auth"], route_handlers=[
    sign_in, sign_out, request_reset, confirm_reset, get_me, update_me, change_password, create_org, list_scopes,
    preview_invitation, accept_invitation, list_tokens, create_token, revoke_token,
])
