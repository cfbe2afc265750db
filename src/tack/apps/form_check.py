"""Checking a form definition without saving it: what the designer asks while someone edits.

The same check publishing runs (`compile_form`, against the forms its links reach), but its problems come back as data (HTTP 200)
rather than as an error, so the designer can mark every field and property they name while
the person is still typing. Nothing is written.
"""

from __future__ import annotations

import msgspec

from tack.apps.service import link_targets
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import FieldError, ValidationFailed
from tack.forms.definition import compile_form
from tack.forms.model import FormDef
from tack.formula import Type


class FormulaProblem(msgspec.Struct):
    """Where a formula goes wrong: `offset`..`end` (0-based, in characters) is what to underline."""

    path: str
    message: str
    kind: str
    line: int
    column: int
    offset: int
    end: int


class FormCheck(msgspec.Struct):
    ok: bool
    errors: list[FieldError]  # as a failed publish would name them: `$.fields[3].settings.expression`
    formula_errors: list[FormulaProblem]
    # Each field's value type as formulas see it ("number", "text", "list<date>", ...), formula
    # fields with the type inferred from their expression; only when the form has no problems.
    types: dict[str, str]


async def check_form(ctx: Ctx, definition: FormDef) -> FormCheck:
    require(ctx.actor, "app.manage")
    try:
        compiled = compile_form(definition, await link_targets(ctx, definition))
    except ValidationFailed as exc:
        spans = exc.extra.get("formula_errors") or []
        return FormCheck(ok=False, errors=exc.errors, types={},
                         formula_errors=[msgspec.convert(s, FormulaProblem, strict=False) for s in spans])
    types: dict[str, str] = {}
    for c in compiled.fields:
        if c.ftype.stores_value:
            types[c.fd.id] = type_name(c.type)
        for col in c.columns:
            if col.ftype.stores_value:
                types[col.fd.id] = type_name(col.type)
    return FormCheck(ok=True, errors=[], formula_errors=[], types=types)


def type_name(t: Type) -> str:
    """"number", "list<date>", "table": the names `Type.of` reads back."""
    if t.name == "list" and t.item is not None:
        return f"list<{type_name(t.item)}>"
    return t.name
