"""Saving a form: every problem found at once, each at its JSON path with a stable rule."""

from __future__ import annotations

import re
import time

import pytest

from tack.core.errors import ValidationFailed
from tack.forms.definition import compile_form
from tack.formula import BOOL, DATE, DEPARTMENTS, MEMBER, MEMBERS, NUMBER, TEXT, list_of, table_of

from .helpers import OPTIONS, compiled, form, form_errors


def test_every_family_compiles_with_its_formula_type() -> None:
    cf = compiled(
        {"name": "Title", "required": True, "help": "What is it?", "placeholder": "A title"},
        {"name": "Kind", "type": "select", "settings": OPTIONS},
        {"name": "Tags", "type": "multiselect", "settings": {**OPTIONS, "max_selections": 2}},
        {"name": "Agreed", "type": "checkbox"},
        {"name": "Day", "type": "date", "settings": {"min": "2026-01-01"}, "default": "TODAY()"},
        {"name": "Host", "type": "member"},
        {"name": "Team", "type": "departments", "settings": {"max": 3}},
        {"name": "Watchers", "type": "members"},
        {"name": "Files", "type": "attachment", "settings": {"accept": ["pdf", "images"], "max_files": 5}},
        {"name": "Where", "type": "location"},
        {"name": "No", "type": "serial", "settings": {"pattern": "X-{YYYY}-{###}", "reset": "yearly"}},
        {"name": "Creator", "type": "created_by"},
        {"name": "Created", "type": "created_at"},
        {"name": "Lines", "type": "subtable", "columns": [
            {"name": "Item"}, {"name": "Qty", "type": "number"}, {"name": "Price", "type": "money"},
            {"name": "Amount", "type": "formula", "settings": {"expression": "Qty * Price"}}]},
        {"name": "Total", "type": "formula", "settings": {"expression": "SUM(Lines.Amount)"}},
        {"name": "Intro", "type": "section", "settings": {"text": "Say hello"}},
    )
    assert cf.schema["Kind"] == TEXT and cf.schema["Tags"] == list_of(TEXT) and cf.schema["Agreed"] == BOOL
    assert cf.schema["Day"] == DATE and cf.schema["Host"] == MEMBER and cf.schema["Team"] == DEPARTMENTS
    assert cf.schema["Watchers"] == MEMBERS and cf.schema["Total"] == NUMBER
    assert cf.schema["Lines"] == table_of({"Item": TEXT, "Qty": NUMBER, "Price": NUMBER, "Amount": NUMBER})
    assert "Intro" not in cf.schema
    assert cf.by_key["f_kind"] is cf.by_key["Kind"]
    assert [c.fd.name for c in cf.computed_order] == ["Total"]
    assert [c.fd.name for c in cf.by_key["Lines"].row_order] == ["Amount"]


@pytest.mark.parametrize(("field", "path", "rule"), [
    ({"name": "X", "type": "rich_text"}, "$.fields[1].type", "enum"),
    ({"name": "X", "type": "number", "settings": {"max": "abc"}}, "$.fields[1].settings.max", "settings"),
    ({"name": "X", "type": "number", "settings": {"min": 5, "max": 1}}, "$.fields[1].settings.max", "min-max"),
    ({"name": "X", "type": "number", "settings": {"decimals": 11}}, "$.fields[1].settings.decimals", "settings"),
    ({"name": "X", "type": "number", "settings": {"maximum": 1}}, "$.fields[1].settings.maximum", "settings"),
    ({"name": "X", "type": "rating", "settings": {"max": 11}}, "$.fields[1].settings.max", "settings"),
    ({"name": "X", "type": "text", "settings": {"pattern": "("}}, "$.fields[1].settings.pattern", "pattern"),
    ({"name": "X", "type": "text", "settings": {"min_length": 5, "max_length": 2}},
     "$.fields[1].settings.max_length", "min-max"),
    ({"name": "X", "type": "money", "settings": {"currency": "yuan"}}, "$.fields[1].settings.currency", "settings"),
    ({"name": "X", "type": "select"}, "$.fields[1].settings.options", "settings"),
    ({"name": "X", "type": "select", "settings": {"options": []}}, "$.fields[1].settings.options", "settings"),
    ({"name": "X", "type": "select", "settings": {"options": [{"id": "a b", "label": "A"}]}},
     "$.fields[1].settings.options[0].id", "settings"),
    ({"name": "X", "type": "select", "settings": {"options": [{"id": "a", "label": "A", "color": "mauve"}]}},
     "$.fields[1].settings.options[0].color", "settings"),
    ({"name": "X", "type": "select", "settings": {"options": [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]}},
     "$.fields[1].settings.options[1].id", "unique"),
    ({"name": "X", "type": "multiselect", "settings": {"options": [{"id": "a", "label": "Sick"},
                                                                   {"id": "b", "label": " SICK"}]}},
     "$.fields[1].settings.options[1].label", "unique"),
    ({"name": "X", "type": "select", "settings": {"options": [{"id": "a", "label": "b"}, {"id": "b", "label": "B2"}]}},
     "$.fields[1].settings.options[0].label", "unique"),  # "b" sent would be ambiguous
    ({"name": "X", "type": "multiselect", "settings": {**OPTIONS, "max_selections": 0}},
     "$.fields[1].settings.max_selections", "settings"),
    ({"name": "X", "type": "date", "settings": {"min": "2026-02-30"}}, "$.fields[1].settings.min", "date"),
    ({"name": "X", "type": "date", "settings": {"min": "2026-02-01", "max": "2026-01-01"}},
     "$.fields[1].settings.max", "min-max"),
    ({"name": "X", "type": "date", "settings": {"min": "today"}}, "$.fields[1].settings.min", "settings"),
    ({"name": "X", "type": "datetime", "settings": {"min": "2026-01-01"}}, "$.fields[1].settings.min", "settings"),
    ({"name": "X", "type": "members", "settings": {"max": 0}}, "$.fields[1].settings.max", "settings"),
    ({"name": "X", "type": "attachment", "settings": {"accept": ["videos"]}},
     "$.fields[1].settings.accept[0]", "accept"),
    ({"name": "X", "type": "attachment", "settings": {"accept": ["pdf", "Image/PNG"]}},
     "$.fields[1].settings.accept[1]", "settings"),
    ({"name": "X", "type": "image", "settings": {"max_files": 101}}, "$.fields[1].settings.max_files", "settings"),
    ({"name": "X", "type": "formula", "settings": {}}, "$.fields[1].settings.expression", "settings"),
    ({"name": "X", "type": "location", "settings": {"zoom": 3}}, "$.fields[1].settings.zoom", "settings"),
    ({"name": "X", "type": "created_by", "settings": {"a": 1}}, "$.fields[1].settings.a", "settings"),
])
def test_bad_settings_are_reported_where_they_are(field: dict[str, object], path: str, rule: str) -> None:
    assert form_errors({"name": "Title"}, field) == [(path, rule)]


def test_names_are_unique_ignoring_case_and_ids_across_the_form() -> None:
    assert form_errors(
        {"id": "f_aaaa", "name": "Amount", "type": "number"},
        {"id": "f_bbbb", "name": " amount", "type": "number"},
        {"id": "f_aaaa", "name": "Other"},
        {"id": "f_cccc", "name": "Lines", "type": "subtable", "columns": [
            {"id": "f_dddd", "name": "Item"}, {"id": "f_dddd", "name": "ITEM"}, {"id": "f_bbbb", "name": "Amount"}]},
        {"id": "f_eeee", "name": "f_aaaa"},
    ) == [("$.fields[1].name", "unique"), ("$.fields[2].id", "unique"),
          ("$.fields[3].columns[1].name", "unique"), ("$.fields[3].columns[1].id", "unique"),
          ("$.fields[3].columns[2].id", "unique"), ("$.fields[4].name", "unique")]


def test_formulas_that_do_not_type_check() -> None:
    with pytest.raises(ValidationFailed) as info:
        compile_form(form(
            {"name": "Amount", "type": "number"},
            {"name": "Bad", "type": "formula", "settings": {"expression": 'Amount * "two"'}},
            {"name": "Broken", "type": "formula", "settings": {"expression": "SUM(Amount"}},
            {"name": "Typo", "type": "formula", "settings": {"expression": "Amout + 1"}},
            {"name": "Note", "visible_if": "Amount"},
            {"name": "Why", "required_if": '"yes"'},
            {"name": "When", "type": "date", "default": '"tomorrow"'},
            {"name": "Count", "type": "number", "default": "TODAY()"},
            {"name": "Kind", "type": "select", "settings": OPTIONS, "default": "1"},
        ))
    errors = {e.path: e for e in info.value.errors}
    assert {p: e.rule for p, e in errors.items()} == {
        "$.fields[1].settings.expression": "formula",
        "$.fields[2].settings.expression": "formula",
        "$.fields[3].settings.expression": "formula",
        "$.fields[4].visible_if": "formula",
        "$.fields[5].required_if": "formula",
        "$.fields[6].default": "formula",
        "$.fields[7].default": "formula",
        "$.fields[8].default": "formula",
    }
    assert "did you mean [Amount]" in errors["$.fields[3].settings.expression"].message
    assert "holds true/false" in errors["$.fields[4].visible_if"].message
    assert "holds a date" in errors["$.fields[6].default"].message


def test_circular_formulas_name_the_cycle() -> None:
    with pytest.raises(ValidationFailed) as info:
        compile_form(form(
            {"name": "Base", "type": "number"},
            {"name": "Net", "type": "formula", "settings": {"expression": "Gross - Tax"}},
            {"name": "Tax", "type": "formula", "settings": {"expression": "Gross * 0.1"}},
            {"name": "Gross", "type": "formula", "settings": {"expression": "Net + Tax + Base"}},
        ))
    [error] = info.value.errors
    assert (error.path, error.rule) == ("$.fields[1].settings.expression", "formula")
    assert "[Net] → [Gross] → [Net]" in error.message


def test_a_formula_reading_itself_is_a_cycle() -> None:
    assert form_errors({"name": "X", "type": "formula", "settings": {"expression": "X + 1"}}) == [
        ("$.fields[0].settings.expression", "formula")]


def test_structure_rules() -> None:
    assert form_errors(
        {"name": "Lines", "type": "subtable", "columns": [
            {"name": "Item"}, {"name": "Inner", "type": "subtable", "columns": [{"name": "x"}]},
            {"name": "Who", "type": "created_by"}, {"name": "Num", "type": "serial"}]},
        {"name": "Total", "type": "formula", "settings": {"expression": "1"}, "required": True},
        {"name": "No", "type": "serial", "default": '"A-1"'},
        {"name": "At", "type": "created_at", "required_if": "TRUE"},
        {"name": "Plain", "columns": [{"name": "x"}]},
    ) == [("$.fields[0].columns[1].type", "nesting"), ("$.fields[0].columns[2].type", "nesting"),
          ("$.fields[0].columns[3].type", "nesting"), ("$.fields[1].required", "computed"),
          ("$.fields[2].default", "computed"), ("$.fields[3].required_if", "computed"),
          ("$.fields[4].columns", "columns")]


def test_sub_table_formulas_and_rules() -> None:
    assert form_errors(
        {"name": "Rate", "type": "number"},
        {"name": "Total", "type": "formula", "settings": {"expression": "SUM(Lines.Amount)"}},
        {"name": "Lines", "type": "subtable", "columns": [
            {"name": "Price", "type": "money", "visible_if": "Rate > 0", "required_if": "Price"},
            {"name": "Amount", "type": "formula", "settings": {"expression": "Price * Rate"}},
            {"name": "Share", "type": "formula", "settings": {"expression": "Amount / Total"}},
            {"name": "Loop", "type": "formula", "settings": {"expression": "Loop2"}},
            {"name": "Loop2", "type": "formula", "settings": {"expression": "Loop"}},
        ]},
    ) == [("$.fields[2].columns[2].settings.expression", "formula"),  # reads a computed field of the form
          ("$.fields[2].columns[3].settings.expression", "formula"),  # a circle
          ("$.fields[2].columns[0].required_if", "formula")]  # not true/false


def test_every_problem_is_reported_in_one_save() -> None:
    errors = form_errors(*[{"name": f"F{i}", "type": "nope"} for i in range(150)])
    assert len(errors) == 100  # capped, never unbounded


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a*)*", r"(\w+\s?)+$", r"([a-z]+-?)+", r"(.*,)+x", r"(?=(a+)+)b",
                                     r"(\.(a+)+)+"])
def test_patterns_that_can_backtrack_for_ever_are_refused(pattern: str) -> None:
    assert form_errors({"name": "Code", "settings": {"pattern": pattern}}) == [("$.fields[0].settings.pattern",
                                                                                "pattern")]


@pytest.mark.parametrize("pattern", [r"[A-Z]{2}\d{4}", r"^1[3-9]\d{9}$", r"(\d{3},)*\d{3}", r"\d+(\.\d+)*",
                                     r"[\w.]+@\w+(\.\w+)+", r"(\w+[-.])+\w+", r"(x|y)+", r"\d{17}[\dX]"])
def test_ordinary_patterns_are_accepted_and_fast(pattern: str) -> None:
    compiled({"name": "Code", "settings": {"pattern": pattern}})
    started = time.perf_counter()
    for near_miss in ("a1." * 30 + "!", "1" * 60 + "!", "a" * 60 + "!"):
        re.fullmatch(pattern, near_miss)
    assert time.perf_counter() - started < 0.1
