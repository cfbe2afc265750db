"""Links family: link (to records of another form), lookup (a field of the linked records) and
roll-up (an aggregate over a link or a sub-table).

A link stores a *list* of record id strings, even when it holds one record (`multiple: false`
allows at most one): one shape for storage, queries (`has_any`, `empty`) and the
`record_links` table that answers "which records link to this one". Whether an id names a
live record of the linked form in this organization is answered before cleaning, in one
batched lookup (`ValueContext.known_records`); a field type never queries the database.

Lookups and roll-ups are computed: Tack stores their values in the record's data when the
record is written (so views filter and sort them like any field) and again when a linked
record changes (tack.records.links). Checking them needs the linked form's fields: the caller
of `compile_form` fetches the forms the links reach (`LinkTargets`), and `resolve_links` types
every lookup and roll-up through them (tack.forms.fields.link_plans), refusing a lookup that
reads itself around a circle.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from tack.forms.fields.base import (
    FieldType,
    Invalid,
    ValueContext,
    a_list,
    dedupe,
    field_type,
    parse_uuid,
)
from tack.forms.fields.link_plans import (
    LIMIT,
    LinkSettings,
    LinkTargets,
    LookupPlan,
    LookupSettings,
    RollupPlan,
    RollupSettings,
    Target,
    link_form_ids,
    resolve_links,
)
from tack.forms.fields.number import round_half_up
from tack.formula import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    NUMBER,
    TEXT,
    Type,
    list_of,
)

__all__ = ["LIMIT", "Link", "LinkTargets", "Lookup", "Rollup", "link_form_ids", "linked_ids", "resolve_links"]

# ---- link ----------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[;；\n]")


@field_type
class Link(FieldType):
    """Records of another form (or of the same one: a task's parent task)."""

    name = "link"
    family = "links"
    Settings = LinkSettings
    query_kind = "link"

    def check_settings(self, s: Any) -> None:
        if s.max is not None and not s.multiple:
            raise Invalid("Only a link to several records has a maximum.", "max", at=".max")

    def formula_type(self, s: Any) -> Type:
        return list_of(TEXT) if s.multiple else TEXT

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        items = [value] if isinstance(value, str) else a_list(value, "records", LIMIT)
        ids = dedupe([self._one(v, s, vctx, f"[{i}]" if not isinstance(value, str) else "")
                      for i, v in enumerate(items)])
        limit = (s.max or LIMIT) if s.multiple else 1
        if len(ids) > limit:
            raise Invalid("Choose one record." if limit == 1 else f"Choose at most {limit} records.", "max-items")
        return ids

    @staticmethod
    def _one(value: Any, s: Any, vctx: ValueContext, at: str) -> str:
        ident = parse_uuid(value, "a record", at=at)
        if vctx.known_records.get(ident) != s.form_id:
            raise Invalid("There is no such record in the linked form.", "exists", at=at)
        return str(ident)

    def formula_value(self, value: Any, s: Any) -> Any:
        if isinstance(value, list) and not s.multiple:
            return value[0] if value else None
        return value

    def to_text(self, value: Any, s: Any, titles: Mapping[str, str] | None = None) -> str:
        """The linked records as people name them: their titles when the caller looked them up
        (`tack.records.links.record_titles`), else their ids; separated by semicolons, since
        titles often hold commas ("Acme, Inc.")."""
        items = value if isinstance(value, list) else [] if value is None else [value]
        return "; ".join((titles or {}).get(str(v), str(v)) for v in items)

    def from_text(self, text: str, s: Any) -> Any:
        # Ids, or titles an importer maps to ids first (tack.records.links.match_link_texts).
        return [p for p in (t.strip() for t in _SEPARATORS.split(text)) if p]


def linked_ids(value: Any) -> list[uuid.UUID]:
    """The record ids a stored (or submitted) link value names; what is not an id is skipped
    (the field type reports it)."""
    items = value if isinstance(value, list) else [value]
    out: list[uuid.UUID] = []
    for item in items[:LIMIT]:
        if isinstance(item, str) and len(item) <= 64:
            try:
                out.append(uuid.UUID(item.strip()))
            except ValueError:
                continue
    return out


# ---- lookup and roll-up -------------------------------------------------------------------------

class _Derived(FieldType):
    family = "links"
    computed = True
    derived = True

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise Invalid("This field is computed from linked records; it cannot be set.", "read-only")

    def from_formula(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        raise Invalid("This field is computed from linked records.", "read-only")

    def formula_type(self, settings: Any) -> Type:
        return getattr(settings, "type", ANY)  # the resolved type (compile_form resolves the settings)


@field_type
class Lookup(_Derived):
    """The values of one field of the linked records. Through a link to one record it is that
    record's value, with the field's own type (so `[Qty] * [Unit price]` works); through a link
    to several it is the list of their values, blanks left out."""

    name = "lookup"
    Settings = LookupSettings

    def derive(self, values: Mapping[str, Any], plan: Any, vctx: ValueContext) -> Any:
        if not isinstance(plan, LookupPlan):
            return None
        found = [data.get(plan.field) for data in _linked_data(values.get(plan.link), vctx)]
        if not plan.many:
            return found[0] if found else None
        return _flat(found)

    def formula_value(self, value: Any, plan: Any) -> Any:
        t = getattr(plan, "target", None)
        if t is None or t.ftype is None or value is None:
            return value
        if not plan.many or t.type.is_list:
            return t.ftype.formula_value(value, t.settings)
        return [t.ftype.formula_value(v, t.settings) for v in value] if isinstance(value, list) else value

    def to_text(self, value: Any, plan: Any) -> str:
        t: Target | None = getattr(plan, "target", None)
        if t is None or t.ftype is None or value is None:
            return _plain_text(value)
        if not plan.many or t.type.is_list:
            return t.ftype.to_text(value, t.settings)
        return ", ".join(t.ftype.to_text(v, t.settings) for v in value) if isinstance(value, list) else str(value)

    def query_kind_for(self, plan: Any) -> str | None:
        """How views filter this lookup: as the linked field itself (through one link), or as
        a list (through several). `query_settings` gives the settings to read options from."""
        t = getattr(plan, "target", None)
        if t is None:
            return None
        kind = _kind_of(t)
        if not plan.many:
            return kind
        return {"select": "multiselect", "multiselect": "multiselect", "member": "members", "members": "members",
                "department": "departments", "departments": "departments", "link": "link"}.get(kind or "", "presence")

    def query_settings(self, plan: Any) -> Any:
        t = getattr(plan, "target", None)
        return t.settings if t is not None else None


@field_type
class Rollup(_Derived):
    """One value summing up a field of the linked records, or a column of a sub-table:
    SUM, AVERAGE, MIN, MAX (numbers, or dates for MIN and MAX), COUNT (how many linked
    records or rows), COUNTA (how many values are not blank), COUNTUNIQUE (how many different
    ones) and CONCAT (the values as text, joined with commas)."""

    name = "rollup"
    Settings = RollupSettings

    def derive(self, values: Mapping[str, Any], plan: Any, vctx: ValueContext) -> Any:
        if not isinstance(plan, RollupPlan):
            return None
        if plan.via == "subtable":
            rows = values.get(plan.source)
            items = [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []
        else:
            items = _linked_data(values.get(plan.source), vctx)
        if plan.aggregate == "COUNT":
            return len(items)
        per_item = [data.get(plan.field) for data in items] if plan.field is not None else []
        return _aggregate(plan, per_item)

    def to_text(self, value: Any, plan: Any) -> str:
        if isinstance(value, float) and getattr(plan, "decimals", None) is not None:
            return f"{value:.{plan.decimals}f}"
        return _plain_text(value)

    def query_kind_for(self, plan: Any) -> str | None:
        return _KIND_OF_TYPE.get(getattr(plan, "type", ANY))


def _linked_data(value: Any, vctx: ValueContext) -> list[Mapping[str, Any]]:
    """The data of the live records a link value names, in its order (deleted ones are gone)."""
    out: list[Mapping[str, Any]] = []
    for ident in linked_ids(value) if value is not None else []:
        data = vctx.linked_data.get(ident)
        if data is not None:
            out.append(data)
    return out


def _blank(v: Any) -> bool:
    return v is None or v == "" or v == []


def _flat(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(i for i in v if not _blank(i))
        elif not _blank(v):
            out.append(v)
    return out


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_plain_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _tidy(x: float, decimals: int | None) -> int | float:
    if decimals is not None:
        return round_half_up(x, decimals)
    x = float(format(x, ".15g"))  # what people see: 0.1 + 0.2 is 0.3
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _aggregate(plan: RollupPlan, per_item: list[Any]) -> Any:
    agg = plan.aggregate
    if agg == "CONCAT":
        t = plan.target
        texts = [t.ftype.to_text(v, t.settings) if t is not None and t.ftype is not None else _plain_text(v)
                 for v in per_item if not _blank(v)]
        return ", ".join(x for x in texts if x) or None
    values = _flat(per_item)
    if agg == "COUNTA":
        return len(values)
    if agg == "COUNTUNIQUE":
        return len({json.dumps(v, sort_keys=True, default=str) for v in values})
    if agg in ("MIN", "MAX") and (plan.type in (DATE, DATETIME) or (
            plan.type == ANY and values and all(isinstance(v, str) for v in values))):
        texts = [v for v in values if isinstance(v, str)]  # ISO text sorts as time does
        return (min(texts) if agg == "MIN" else max(texts)) if texts else None
    numbers = [v for v in values if _number(v)]
    if agg == "SUM":
        return _tidy(math.fsum(numbers), plan.decimals)
    if not numbers:
        return None
    if agg == "AVERAGE":
        return _tidy(math.fsum(numbers) / len(numbers), plan.decimals)
    return _tidy(min(numbers) if agg == "MIN" else max(numbers), plan.decimals)


_KIND_OF_TYPE = {NUMBER: "number", TEXT: "text", DATE: "date", DATETIME: "datetime", BOOL: "checkbox"}


def _kind_of(t: Target) -> str | None:
    if t.ftype is None:
        return None
    by_settings = getattr(t.ftype, "query_kind_for", None)
    if by_settings is not None:
        kind: str | None = by_settings(t.settings)
        return kind
    if t.ftype.name == "formula":
        return _KIND_OF_TYPE.get(t.type)
    return t.ftype.query_kind

