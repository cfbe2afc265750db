"""Shared pieces for the forms tests: a fixed moment, a directory and a file store that
"know" a few ids, and short ways to build forms and clean values."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
import pytest

from tack.core.errors import ValidationFailed
from tack.forms.definition import CompiledForm, compile_form
from tack.forms.fields import FIELD_TYPES, Invalid, ValueContext
from tack.forms.model import FormDef
from tack.forms.values import clean_submission

NOW = dt.datetime(2026, 1, 5, 1, 30, tzinfo=dt.UTC)  # Monday 09:30 in Shanghai
TZ = "Asia/Shanghai"

ANN, BOB = uuid.UUID("0190f5c2-0000-7000-8000-00000000a001"), uuid.UUID("0190f5c2-0000-7000-8000-00000000b002")
STRANGER = uuid.UUID("0190f5c2-0000-7000-8000-00000000dead")
SALES, OPS = uuid.UUID("0190f5c2-0000-7000-8000-0000000d0001"), uuid.UUID("0190f5c2-0000-7000-8000-0000000d0002")
PDF, PNG, DOCX = (uuid.UUID("0190f5c2-0000-7000-8000-00000000f001"), uuid.UUID("0190f5c2-0000-7000-8000-00000000f002"),
                  uuid.UUID("0190f5c2-0000-7000-8000-00000000f003"))
UNTYPED = uuid.UUID("0190f5c2-0000-7000-8000-00000000f004")  # known, but its type was not looked up
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Records link fields may name: two of the form PRODUCTS, one of another form.
PRODUCTS = uuid.UUID("0190f5c2-0000-7000-8000-0000000000a1")
APPLE, PEAR = uuid.UUID("0190f5c2-0000-7000-8000-000000000101"), uuid.UUID("0190f5c2-0000-7000-8000-000000000102")
ORDER = uuid.UUID("0190f5c2-0000-7000-8000-0000000001ff")


def vctx(**overrides: Any) -> ValueContext:
    base: dict[str, Any] = dict(
        now=NOW, time_zone=TZ, known_members={ANN, BOB}, known_departments={SALES, OPS},
        known_files={PDF, PNG, DOCX, UNTYPED},
        file_types={PDF: "application/pdf", PNG: "image/png", DOCX: DOCX_TYPE},
        known_records={APPLE: PRODUCTS, PEAR: PRODUCTS, ORDER: uuid.UUID(int=1)},
    )
    base.update(overrides)
    return ValueContext(**base)


def form(*fields: dict[str, Any], name: str = "Test") -> FormDef:
    """A form definition; fields without an id get one made from their name."""
    return msgspec.convert({"name": name, "fields": [_with_id(f) for f in fields]}, FormDef)


def _with_id(f: dict[str, Any]) -> dict[str, Any]:
    out = {"id": "f_" + "".join(ch for ch in f["name"].lower() if ch.isalnum() and ch.isascii()).ljust(4, "0"),
           "type": "text", **f}
    if "columns" in out:
        out["columns"] = [_with_id(c) for c in out["columns"]]
    return out


def compiled(*fields: dict[str, Any]) -> CompiledForm:
    return compile_form(form(*fields))


def form_errors(*fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, rule) of every problem compile_form finds."""
    with pytest.raises(ValidationFailed) as info:
        compile_form(form(*fields))
    return [(e.path, e.rule) for e in info.value.errors]


def submit(cf: CompiledForm, data: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return clean_submission(cf, data, kw.pop("ctx", None) or vctx(), **kw)


def submit_errors(cf: CompiledForm, data: dict[str, Any], **kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        submit(cf, data, **kw)
    return [(e.path, e.rule) for e in info.value.errors]


def settings(type_name: str, raw: dict[str, Any] | None = None) -> Any:
    t = FIELD_TYPES.get(type_name)
    s = t.settings_of(raw or {})
    t.check_settings(s)
    return s


def clean(type_name: str, value: Any, raw: dict[str, Any] | None = None, ctx: ValueContext | None = None) -> Any:
    return FIELD_TYPES.get(type_name).clean(value, settings(type_name, raw), ctx or vctx())


def refusal(type_name: str, value: Any, raw: dict[str, Any] | None = None,
            ctx: ValueContext | None = None) -> Invalid:
    with pytest.raises(Invalid) as info:
        clean(type_name, value, raw, ctx)
    return info.value


OPTIONS = {"options": [{"id": "o_annual", "label": "Annual", "color": "blue"},
                       {"id": "o_sick", "label": "Sick", "color": "#FF0000"},
                       {"id": "o_travel", "label": "Travel, local"},
                       {"id": "o_cn", "label": "事假"}]}
