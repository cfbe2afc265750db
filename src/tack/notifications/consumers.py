"""Approval-flow events become notifications in the web app.

The flows domain only says what happened (outbox events); this listens and decides who is told
and in what words. Each notification carries the event's id, so an event delivered twice (or
replayed after the consumers' receipts were purged) tells nobody twice. Titles are written in
the recipient's own language (their user locale), falling back to English.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tack.core.consumers import consumer
from tack.core.ctx import Ctx
from tack.core.events import Event
from tack.directory.tables import members, users
from tack.notifications.service import notify

log = logging.getLogger(__name__)

FLOW_EVENTS = ("flow.task.assigned", "flow.instance.finished", "flow.urged", "flow.commented", "flow.cc",
               "flow.task.reminder")

# Titles per notification kind and language. `{title}` is the request's title, `{who}` whose
# request it is ("Alice's Leave request"), `{by}` who acted.
TITLES: dict[str, dict[str, str]] = {
    "approve": {"en": "{who} needs your approval", "zh-CN": "{who}需要您审批"},
    "handle": {"en": "{who} needs you to handle it", "zh-CN": "{who}需要您办理"},
    "flow.returned": {"en": "Your request was returned to you: {title}", "zh-CN": "您的申请被退回：{title}"},
    "flow.approved": {"en": "Your {title} was approved", "zh-CN": "您的{title}已通过"},
    "flow.rejected": {"en": "Your {title} was rejected", "zh-CN": "您的{title}已被拒绝"},
    "flow.urged": {"en": "{by} is waiting for you: {title}", "zh-CN": "{by}催办：{title}"},
    "flow.mentioned": {"en": "{by} mentioned you on {title}", "zh-CN": "{by}在“{title}”中提到了您"},
    "flow.cc": {"en": "{by} copied you on {title}", "zh-CN": "{by}抄送给您：{title}"},
    "flow.reminder": {"en": "Reminder: {title} is waiting for you", "zh-CN": "提醒：{title}正在等您处理"},
}
WHOSE = {"en": "{name}'s {title}", "zh-CN": "{name}提交的{title}"}
STEP = {"en": "Step: {node}", "zh-CN": "节点：{node}"}


@dataclass(frozen=True)
class Told:
    """Who is told what about one event: a notification kind and, per language, its texts."""

    kind: str
    recipients: list[uuid.UUID]
    words: Callable[[str], tuple[str, str]]  # locale -> (title, body)


@consumer("notify-flows", *FLOW_EVENTS)
async def notify_flow_event(ctx: Ctx, ev: Event) -> None:
    """Turn one approval-flow event into notifications. A malformed event is logged and skipped:
    failing would only make the bus deliver it again, forever."""
    try:
        told = _told(ev.type, ev.data)
        instance_id = str(ev.data["instance_id"])
        uuid.UUID(instance_id)
    except (KeyError, TypeError, ValueError) as e:
        log.warning("notify-flows: skipped %s event %s: %r", ev.type, ev.id, e)
        return
    if told is None or not told.recipients:
        return
    for locale, group in (await _by_locale(ctx, told.recipients)).items():
        title, body = told.words(locale)
        await notify(ctx, group, kind=told.kind, title=title, body=body, link=f"/approvals/{instance_id}",
                     subject=instance_id, source_event_id=ev.id)


def _told(event_type: str, d: dict[str, Any]) -> Told | None:
    title = str(d.get("title") or "")
    by = str(d.get("by_name") or "")
    by_id = _ids([d["by_id"]])[0] if d.get("by_id") else None

    def fixed(kind: str, body: str = "") -> Callable[[str], tuple[str, str]]:
        return lambda loc: (_say(kind, loc, title=title, by=by), body)

    if event_type == "flow.task.assigned":
        task = str(d.get("kind") or "approve")
        node = str(d.get("node_name") or "")

        def assigned(loc: str) -> tuple[str, str]:
            body = _pick(STEP, loc).format(node=node) if node else ""
            if task == "resubmit":
                return _say("flow.returned", loc, title=title), body
            name = str(d.get("initiator_name") or "")
            who = _pick(WHOSE, loc).format(name=name, title=title) if name and not title.startswith(name) else title
            return _say("handle" if task == "handle" else "approve", loc, who=who), body

        kind = "flow.returned" if task == "resubmit" else "flow.task_assigned"
        return Told(kind, _ids([d["assignee_id"]]), assigned)
    if event_type == "flow.instance.finished":
        status = d.get("status")
        if status not in ("approved", "rejected"):
            return None  # withdrawn: the initiator did it themselves
        kind = f"flow.{status}"
        return Told(kind, _ids([d["initiator_id"]]), fixed(kind))
    if event_type == "flow.urged":
        return Told("flow.urged", _others(_ids(d["member_ids"]), by_id), fixed("flow.urged"))
    if event_type == "flow.commented":
        return Told("flow.mentioned", _others(_ids(d.get("mentions") or []), by_id),
                    fixed("flow.mentioned", str(d.get("text") or "")))
    if event_type == "flow.cc":
        return Told("flow.cc", _others(_ids(d["member_ids"]), by_id), fixed("flow.cc"))
    if event_type == "flow.task.reminder":
        return Told("flow.reminder", _ids([d["assignee_id"]]), fixed("flow.reminder"))
    return None


def _ids(values: Iterable[Any]) -> list[uuid.UUID]:
    if isinstance(values, (str, bytes)):
        raise TypeError("a list of member ids is expected")
    return [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in values]


def _others(ids: list[uuid.UUID], by_id: uuid.UUID | None) -> list[uuid.UUID]:
    """Nobody is notified of what they did themselves (mentioning or copying themselves)."""
    return [m for m in ids if m != by_id]


def _pick(texts: dict[str, str], locale: str) -> str:
    return texts.get(locale) or texts["en"]


def _say(kind: str, locale: str, **values: str) -> str:
    return _pick(TITLES[kind], locale).format_map(defaultdict(str, values))


async def _by_locale(ctx: Ctx, member_ids: list[uuid.UUID]) -> dict[str, list[uuid.UUID]]:
    """The recipients grouped by their language (members unknown here go with English; `notify`
    skips them anyway)."""
    rows = (await ctx.conn.execute(sa.select(members.c.id, users.c.locale).join(
        users, users.c.id == members.c.user_id).where(
        members.c.org_id == ctx.org_id, members.c.id.in_(member_ids)))).all()
    locale = {m: ("zh-CN" if str(loc or "").lower().startswith("zh") else "en") for m, loc in rows}
    groups: dict[str, list[uuid.UUID]] = defaultdict(list)
    for m in dict.fromkeys(member_ids):
        groups[locale.get(m, "en")].append(m)
    return groups
