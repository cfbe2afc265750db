"""Random values thrown at every field type: `clean` either returns a value JSON can hold (and
that it accepts back unchanged, and that survives `to_text` → `from_text`), or raises
`Invalid` — never another exception. Random cells thrown at `from_text` never raise."""

from __future__ import annotations

import datetime as dt
import functools
import os
import uuid
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tack.core.errors import ValidationFailed
from tack.forms.definition import CompiledForm
from tack.forms.fields import FIELD_TYPES, Invalid

from .helpers import (
    ANN,
    APPLE,
    BOB,
    DOCX,
    OPS,
    ORDER,
    PDF,
    PEAR,
    PNG,
    PRODUCTS,
    SALES,
    STRANGER,
    UNTYPED,
    compiled,
    submit,
    vctx,
)
from .helpers import settings as settings_of

EXAMPLES = int(os.environ.get("FORMS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPTIONS = {"options": [{"id": "o1", "label": "Annual"}, {"id": "o2", "label": "Sick, long"},
                       {"id": "o3", "label": "事假"}, {"id": "o4", "label": "O1"}]}
SETTINGS: dict[str, dict[str, Any]] = {
    "select": OPTIONS,
    "multiselect": {**OPTIONS, "max_selections": 3},
    "formula": {"expression": "1"},
    "attachment": {"accept": ["pdf", "images"], "max_files": 3},
    "number": {"min": -1000, "max": 1e12, "decimals": 3},
    "percent": {"decimals": 1},
    "date": {"min": "1900-01-01"},
    "text": {"max_length": 50},
    "members": {"max": 3},
    "link": {"form_id": str(PRODUCTS), "multiple": True, "max": 3},
    "lookup": {"link": "f_product", "field": "f_price"},
    "rollup": {"source": "f_lines", "aggregate": "SUM", "field": "f_price"},
}
TIME_ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati"]

# Text from all of Unicode, lone surrogates and control characters included.
any_text = st.text(st.characters(exclude_categories=[]), max_size=60)
leaves = st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**30), max_value=10**30) | \
    st.floats() | any_text
json_like = st.recursive(leaves, lambda inner: st.lists(inner, max_size=5) |
                         st.dictionaries(any_text, inner, max_size=4), max_leaves=12)

ids = st.sampled_from([ANN, BOB, STRANGER, SALES, OPS, PDF, PNG, DOCX, UNTYPED]).map(str) | st.uuids().map(str)
id_spellings = ids.flatmap(lambda i: st.sampled_from([i, i.upper(), "{" + i + "}", i.replace("-", ""), f" {i} "]))
labels = st.sampled_from(["o1", "o2", "o3", "o4", "Annual", "annual", " SICK, LONG ", "事假", "Ａｎｎｕａｌ", "x"])
numbers = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**16), 10**16) |
           st.decimals(allow_nan=True).map(str) | st.floats(-1e6, 1e6).map(lambda x: f"{x}%"))
dates = st.dates().map(dt.date.isoformat) | st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True)
datetimes = (st.datetimes().map(dt.datetime.isoformat) |
             st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat) |
             st.from_regex(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)?", fullmatch=True))
coordinates = st.floats() | st.integers(-200, 200) | st.floats(-180, 180)
locations = st.fixed_dictionaries({"lat": coordinates, "lng": coordinates},
                                  optional={"address": any_text | st.integers()})

TARGETED: dict[str, st.SearchStrategy[Any]] = {
    "text": any_text, "textarea": any_text, "email": st.emails() | any_text,
    "phone": st.from_regex(r"\+?[0-9( ][0-9 ()\-]{0,40}", fullmatch=True),
    "url": st.from_regex(r"https?://[a-z.]{1,20}/\S{0,20}", fullmatch=True),
    "number": numbers, "money": numbers, "percent": numbers, "rating": st.integers(-2, 12) | st.floats(0, 6),
    "select": labels, "multiselect": st.lists(labels, max_size=6), "checkbox": st.booleans(),
    "date": dates, "datetime": datetimes,
    "member": id_spellings, "department": id_spellings,
    "members": st.lists(id_spellings, max_size=6), "departments": st.lists(id_spellings, max_size=6),
    "attachment": st.lists(id_spellings, max_size=5), "image": st.lists(id_spellings, max_size=3),
    "signature": id_spellings, "location": locations,
    "link": st.lists(st.sampled_from([APPLE, PEAR, ORDER, STRANGER]).map(str) | id_spellings, max_size=5),
}
# Types whose stored value reads back from its own text (computed and layout ones hold none).
ROUND_TRIP = {n for n, t in FIELD_TYPES.items() if t.stores_value and not t.computed and n != "subtable"}


def _check(type_name: str, value: Any, zone: str) -> None:
    ftype = FIELD_TYPES.get(type_name)
    s = settings_of(type_name, SETTINGS.get(type_name))
    ctx = vctx(time_zone=zone)
    try:
        stored = ftype.clean(value, s, ctx)
    except Invalid as exc:
        assert exc.rule and exc.message and len(exc.message) < 400
        return
    msgspec.json.encode(stored)
    assert ftype.clean(stored, s, ctx) == stored, "the stored value is not accepted back unchanged"
    if type_name in ROUND_TRIP and not ftype.is_blank(stored):
        text = ftype.to_text(stored, s)
        assert isinstance(text, str)
        assert ftype.clean(ftype.from_text(text, s), s, ctx) == stored, f"{text!r} does not read back"


@pytest.mark.parametrize("type_name", sorted(FIELD_TYPES))
@FUZZ
@given(data=st.data())
def test_clean_returns_json_or_raises_invalid(type_name: str, data: st.DataObject) -> None:
    strategy = json_like | TARGETED[type_name] if type_name in TARGETED else json_like
    _check(type_name, data.draw(strategy, label="value"), data.draw(st.sampled_from(TIME_ZONES), label="zone"))


@pytest.mark.parametrize("type_name", sorted(FIELD_TYPES))
@FUZZ
@given(cell=any_text | st.from_regex(r"[-\d ,.:/年月日T+Z★☆]{0,30}", fullmatch=True))
def test_from_text_never_raises(type_name: str, cell: str) -> None:
    ftype = FIELD_TYPES.get(type_name)
    s = settings_of(type_name, SETTINGS.get(type_name))
    value = ftype.from_text(cell, s)
    try:
        stored = ftype.clean(value, s, vctx())
    except Invalid:
        return
    msgspec.json.encode(stored)


def test_every_type_is_fuzzed_with_values_of_its_own() -> None:
    holds_values = {n for n, t in FIELD_TYPES.items() if t.stores_value and not t.computed and n != "subtable"}
    assert holds_values <= TARGETED.keys()
    assert uuid.UUID(str(ANN))  # the known ids are real UUIDs


# A form with a bit of everything: random submissions are either stored (as JSON) or refused
# with ValidationFailed, never another exception.
_EVERYTHING = [
    {"name": "title", "required": True},
    {"name": "kind", "type": "select", "settings": OPTIONS},
    {"name": "tags", "type": "multiselect", "settings": OPTIONS},
    {"name": "day", "type": "date", "default": "TODAY()"},
    {"name": "at", "type": "datetime"},
    {"name": "host", "type": "member"},
    {"name": "where", "type": "location"},
    {"name": "files", "type": "attachment"},
    {"name": "ok", "type": "checkbox"},
    {"name": "lines", "type": "subtable", "columns": [
        {"name": "item"}, {"name": "qty", "type": "number", "default": "1"}, {"name": "price", "type": "money"},
        {"name": "amount", "type": "formula", "settings": {"expression": "qty * price"}},
        {"name": "why", "visible_if": "amount > 100", "required_if": "amount > 100"}]},
    {"name": "total", "type": "formula", "settings": {"expression": "SUM(lines.amount)"}},
    {"name": "reason", "visible_if": 'OR(total > 1000, kind = "Sick, long")', "required_if": "total > 1000"},
    {"name": "No", "type": "serial"},
]
_KEYS = ["title", "kind", "tags", "day", "at", "host", "where", "files", "ok", "lines", "total", "reason", "No",
         "f_title", "f_lines", "nope"]
_row = st.dictionaries(st.sampled_from(["item", "qty", "price", "amount", "why", "f_item", "x"]),
                       json_like | numbers, max_size=5)
_submission = st.dictionaries(
    st.sampled_from(_KEYS) | any_text,
    json_like | labels | dates | datetimes | id_spellings | locations | st.lists(_row | json_like, max_size=4),
    max_size=8)


@FUZZ
@given(data=_submission, update=st.booleans())
def test_random_submissions_are_stored_or_refused(data: dict[str, Any], update: bool) -> None:
    cf = _everything()
    previous = {"f_title": "kept", "f_lines": [{"f_item": "a", "f_price": 5}]} if update else None
    try:
        stored = submit(cf, data, previous=previous)
    except ValidationFailed as exc:
        assert exc.errors and all(e.path.startswith("$.data") and e.rule for e in exc.errors)
        return
    msgspec.json.encode(stored)
    assert set(stored) <= {c.fd.id for c in cf.fields}


@functools.cache
def _everything() -> CompiledForm:
    return compiled(*_EVERYTHING)
