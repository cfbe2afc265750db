"""Filter trees as views and permission groups store them: checked against the form when saved,
their field names turned into stable field ids (a rename then touches nothing), and pruned of
fields the form no longer has when read back.

The filter language itself (operators per type, SQL) is the record query's
(`tack.records.query`); this module defers to its `check_filter` / `check_sort`.
"""

from __future__ import annotations

from typing import Any

from tack.forms.definition import CompiledForm, compile_form
from tack.forms.model import FormDef

SYSTEM_FIELDS = frozenset({"id", "created_at", "created_by", "updated_at", "updated_by", "owner_department",
                           "status"})

_NO_FIELDS: CompiledForm | None = None


def no_fields() -> CompiledForm:
    """A form without fields: checking a filter against it accepts system fields only (what an
    app-wide rule may name, since it applies to every form of the app)."""
    global _NO_FIELDS
    if _NO_FIELDS is None:
        _NO_FIELDS = compile_form(FormDef(name="app", fields=[]))
    return _NO_FIELDS


def check_filter(form: CompiledForm, raw: Any, path: str) -> None:
    """Raise ValidationFailed at the exact path of each problem of `raw`."""
    from tack.records.query.filters import check_filter as query_check_filter  # it imports tack.access

    query_check_filter(form, raw, path)


def check_sort(form: CompiledForm, raw: Any, path: str) -> None:
    from tack.records.query.filters import check_sort as query_check_sort

    query_check_sort(form, raw, path)


def field_id(form: CompiledForm, key: str) -> str | None:
    """The stable id of the field `key` names (an id, a name or a system field), or None."""
    c = form.by_key.get(key)
    if c is not None:
        return c.fd.id
    return key if key in SYSTEM_FIELDS else None


def with_ids(form: CompiledForm, tree: Any) -> Any:
    """`tree` (already checked) with every field it names given by id."""
    if isinstance(tree, dict):
        if "field" in tree and isinstance(tree["field"], str):
            return {**tree, "field": field_id(form, tree["field"]) or tree["field"]}
        return {k: [with_ids(form, n) for n in v] if k in ("and", "or") and isinstance(v, list) else v
                for k, v in tree.items()}
    return tree


def pruned(form: CompiledForm, tree: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[str]]:
    """`tree` without the conditions on fields the form no longer has (and groups left empty),
    and the ids of the fields dropped."""
    dropped: list[str] = []

    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        for key in ("and", "or"):
            if isinstance(node.get(key), list):
                kept = [k for k in (walk(n) for n in node[key]) if k is not None]
                return {key: kept} if kept else None
        if isinstance(node.get("formula"), str) and not _formula_fits(form, node["formula"]):
            dropped.append(node["formula"][:100])
            return None
        f = node.get("field")
        if isinstance(f, str) and f not in SYSTEM_FIELDS and f not in form.by_key:
            dropped.append(f)
            return None
        return node

    if tree is None:
        return None, []
    return walk(tree), dropped


def _formula_fits(form: CompiledForm, source: str) -> bool:
    """Whether a formula condition still type-checks against the form (its fields may be gone)."""
    from tack.formula import BOOL, FormulaError, check, parse

    try:
        check(parse(source), form.schema, expect=BOOL)
    except FormulaError:
        return False
    return True
