"""`Ctx`: the explicit context every service call receives.

No thread-locals and no module-level "current org": whoever calls a service says which
organization, which actor and which connection (inside its transaction) the call runs in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from tack.core.clock import SYSTEM_CLOCK, Clock

AdminRole = Literal["owner", "admin", "sub_admin", "member"]
ActorKind = Literal["user", "token", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. A person (through a session or a personal token), an organization token
    (a program acting for the organization), or the system itself (jobs, consumers)."""

    kind: ActorKind
    name: str
    user_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    admin_role: AdminRole = "member"
    # Materialized paths of the departments a sub-admin manages ("/<id>/<id>/").
    admin_paths: tuple[str, ...] = ()
    # None: a session, limited only by the person's role. A set: a token, limited by its scopes too.
    scopes: frozenset[str] | None = None
    token_id: uuid.UUID | None = None

    @property
    def is_service(self) -> bool:
        return self.kind == "token" and self.member_id is None

    @staticmethod
    def system(name: str = "system") -> Actor:
        return Actor(kind="system", name=name, admin_role="owner")


@dataclass(slots=True)
class Ctx:
    org_id: uuid.UUID
    actor: Actor
    conn: AsyncConnection
    clock: Clock = field(default=SYSTEM_CLOCK)

    def now(self) -> dt.datetime:
        return self.clock.now()
