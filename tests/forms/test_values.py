"""Submissions cleaned on the server: the expense, leave and visitor forms, defaults, updates,
unknown and read-only fields, and error paths that name the key as it was sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from tack.forms.definition import CompiledForm

from .helpers import ANN, BOB, PDF, PNG, STRANGER, compiled, submit, submit_errors, vctx

# ---- expense reimbursement -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def expense() -> CompiledForm:
    return compiled(
        {"id": "f_title", "name": "title", "required": True},
        {"id": "f_lines", "name": "lines", "type": "subtable", "required": True, "columns": [
            {"id": "f_item", "name": "item", "required": True},
            {"id": "f_amount", "name": "amount", "type": "money", "required": True, "settings": {"min": 0}},
            {"id": "f_receipt", "name": "receipt", "type": "image", "required_if": "amount > 500"},
        ]},
        {"id": "f_total", "name": "total", "type": "formula", "settings": {"expression": "SUM(lines.amount)"}},
        {"id": "f_reason", "name": "reason", "type": "textarea", "visible_if": "total > 1000",
         "required_if": "total > 1000"},
    )


def test_expense_total_is_computed_and_a_hidden_reason_is_dropped(expense: CompiledForm) -> None:
    stored = submit(expense, {"title": "Taxi", "lines": [{"item": "to airport", "amount": "120.5"},
                                                         {"item": "back", "amount": 99.499}],
                              "reason": "sent anyway"})
    assert stored == {"f_title": "Taxi", "f_lines": [{"f_item": "to airport", "f_amount": 120.5},
                                                     {"f_item": "back", "f_amount": 99.5}], "f_total": 220}
    msgspec.json.encode(stored)


def test_expense_above_1000_requires_a_reason(expense: CompiledForm) -> None:
    lines = [{"item": "hotel", "amount": 800, "receipt": [str(PNG)]}, {"item": "train", "amount": 300.01}]
    assert submit_errors(expense, {"title": "Trip", "lines": lines}) == [("$.data.reason", "required")]
    stored = submit(expense, {"title": "Trip", "lines": lines, "reason": "Client visit"})
    assert stored["f_total"] == 1100.01 and stored["f_reason"] == "Client visit"
    assert stored["f_lines"][0]["f_receipt"] == [str(PNG)]


def test_expense_line_errors_are_at_their_row_and_column(expense: CompiledForm) -> None:
    assert submit_errors(expense, {"title": "x", "lines": [
        {"item": "ok", "amount": 1},
        {"item": "bad", "amount": "twelve"},
        {"amount": -5, "colour": "red"},
        {"item": "big", "amount": 600},
        "not a row",
    ]}) == [
        ("$.data.lines[1].amount", "type"),
        ("$.data.lines[2].amount", "minimum"),
        ("$.data.lines[2].colour", "unknown-field"),
        ("$.data.lines[4]", "type"),
        ("$.data.lines[2].item", "required"),
        ("$.data.lines[3].receipt", "required"),  # required_if amount > 500, per row
    ]


def test_expense_keys_by_id_and_paths_as_sent(expense: CompiledForm) -> None:
    assert submit_errors(expense, {"f_title": "", "f_lines": [{"f_item": "a", "f_amount": 1},
                                                              {"f_item": "b", "f_amount": "x"}]}) == [
        ("$.data.f_lines[1].f_amount", "type"), ("$.data.f_title", "required")]
    stored = submit(expense, {"f_title": "By id", "lines": [{"f_item": "a", "amount": 5}]})
    assert stored["f_lines"] == [{"f_item": "a", "f_amount": 5}]


def test_expense_refuses_unknown_computed_and_twice_sent_fields(expense: CompiledForm) -> None:
    assert submit_errors(expense, {"title": "x", "f_title": "y", "total": 5, "tip": 1,
                                   "lines": [{"item": "a", "f_item": "b", "amount": 1}]}) == [
        ("$.data.f_title", "duplicate"), ("$.data.total", "read-only"), ("$.data.tip", "unknown-field"),
        ("$.data.lines[0].f_item", "duplicate")]


@pytest.mark.parametrize(("lines", "rule"), [
    ("a lot", "type"), ({"item": "a"}, "type"), ([{"item": "a", "amount": 1}] * 1001, "max-rows"), ([], "required"),
])
def test_expense_lines_that_are_not_rows(expense: CompiledForm, lines: Any, rule: str) -> None:
    assert submit_errors(expense, {"title": "x", "lines": lines}) == [("$.data.lines", rule)]


def test_a_hidden_value_does_not_reach_computed_fields() -> None:
    cf = compiled(
        {"name": "kind", "type": "select", "settings": {"options": [{"id": "t", "label": "Travel"},
                                                                    {"id": "o", "label": "Office"}]}},
        {"name": "amount", "type": "money"},
        {"name": "mileage", "type": "money", "visible_if": 'kind = "Travel"'},
        {"name": "total", "type": "formula", "settings": {"expression": "amount + mileage"}},
        {"name": "big", "type": "checkbox", "visible_if": "total > 100", "default": "TRUE"},
    )
    office = submit(cf, {"kind": "office", "amount": 50, "mileage": 1000})
    assert office == {"f_kind": "o", "f_amount": 50, "f_total": 50}  # mileage hidden: not stored, not counted
    travel = submit(cf, {"kind": "Travel", "amount": 50, "mileage": 1000})
    assert travel == {"f_kind": "t", "f_amount": 50, "f_mileage": 1000, "f_total": 1050, "f_big0": True}


def test_sub_table_formula_columns_defaults_and_conditions() -> None:
    cf = compiled(
        {"name": "rate", "type": "number", "default": "1"},
        {"name": "lines", "type": "subtable", "columns": [
            {"name": "qty", "type": "number", "default": "1"},
            {"name": "price", "type": "money"},
            {"name": "amount", "type": "formula", "settings": {"expression": "qty * price * rate", "decimals": 2}},
            {"name": "note", "visible_if": "amount > 100", "required_if": "amount > 100"},
        ]},
        {"name": "total", "type": "formula", "settings": {"expression": "SUM(lines.amount)"}},
    )
    stored = submit(cf, {"rate": 1.5, "lines": [{"price": 10.01, "note": "hidden"},
                                                 {"qty": 3, "price": 50, "note": "needed"}]})
    assert stored == {"f_rate": 1.5, "f_total": 240.02, "f_lines": [
        {"f_qty0": 1, "f_price": 10.01, "f_amount": 15.02},
        {"f_qty0": 3, "f_price": 50, "f_amount": 225, "f_note": "needed"}]}
    assert submit_errors(cf, {"lines": [{"price": 1000}]}) == [("$.data.lines[0].note", "required")]
    assert submit_errors(cf, {"lines": [{"price": 1, "amount": 5}]}) == [("$.data.lines[0].amount", "read-only")]


# ---- leave request ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leave() -> CompiledForm:
    return compiled(
        {"id": "f_type", "name": "leave type", "type": "select", "required": True, "settings": {"options": [
            {"id": "annual", "label": "Annual leave", "color": "green"},
            {"id": "sick", "label": "Sick leave", "color": "red"},
            {"id": "personal", "label": "事假"}]}},
        {"id": "f_start", "name": "start", "type": "date", "required": True},
        {"id": "f_endd", "name": "end", "type": "date", "required": True},
        {"id": "f_days", "name": "days", "type": "formula", "settings": {"expression": "NETWORKDAYS(start, end)"}},
        {"id": "f_certificate", "name": "certificate", "type": "attachment", "settings": {"accept": ["pdf", "images"]},
         "visible_if": '[leave type] = "Sick leave"', "required_if": "days > 2"},
        {"id": "f_handover", "name": "handover", "type": "member", "required_if": "days >= 5"},
    )


def test_leave_days_count_working_days(leave: CompiledForm) -> None:
    stored = submit(leave, {"leave type": "annual LEAVE", "start": "2026-01-05", "end": "2026-01-08"})
    assert stored == {"f_type": "annual", "f_start": "2026-01-05", "f_endd": "2026-01-08", "f_days": 4}


def test_leave_sick_for_more_than_two_days_needs_a_certificate(leave: CompiledForm) -> None:
    data = {"leave type": "Sick leave", "start": "2026-01-05", "end": "2026-01-07"}
    assert submit_errors(leave, data) == [("$.data.certificate", "required")]
    assert submit(leave, {**data, "certificate": [str(PDF)]})["f_certificate"] == [str(PDF)]
    # Annual leave hides the certificate: neither required nor stored.
    assert "f_certificate" not in submit(leave, {**data, "leave type": "annual", "certificate": [str(PDF)]})


def test_leave_a_week_needs_a_known_member_to_hand_over_to(leave: CompiledForm) -> None:
    data = {"leave type": "事假", "start": "2026-01-05", "end": "2026-01-09"}
    assert submit_errors(leave, data) == [("$.data.handover", "required")]
    assert submit_errors(leave, {**data, "handover": str(STRANGER)}) == [("$.data.handover", "exists")]
    assert submit(leave, {**data, "handover": str(ANN)})["f_handover"] == str(ANN)


def test_leave_refuses_an_unknown_type_and_bad_dates(leave: CompiledForm) -> None:
    assert submit_errors(leave, {"leave type": "Holiday", "start": "2026-02-30", "end": "5 Jan"}) == [
        ("$.data.leave type", "option"), ("$.data.start", "date"), ("$.data.end", "date")]


# ---- visitor log -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def visitor() -> CompiledForm:
    return compiled(
        {"id": "f_vnum", "name": "No", "type": "serial", "settings": {"pattern": "VIS-{YYYY}{MM}{DD}-{####}",
                                                                    "reset": "daily"}},
        {"id": "f_visitor", "name": "Visitor", "required": True},
        {"id": "f_phone", "name": "Phone", "type": "phone"},
        {"id": "f_host", "name": "Host", "type": "member", "required": True},
        {"id": "f_arrival", "name": "Arrival", "type": "datetime", "default": "NOW()"},
        {"id": "f_photo", "name": "Photo", "type": "image", "settings": {"max_files": 1}},
        {"id": "f_sign", "name": "Signature", "type": "signature"},
        {"id": "f_regby", "name": "Registered by", "type": "created_by"},
        {"id": "f_regat", "name": "Registered at", "type": "created_at"},
        {"id": "f_late", "name": "Late", "type": "formula", "settings": {"expression": "HOUR(Arrival) >= 18"}},
    )


def test_visitor_arrival_is_in_the_org_time_zone(visitor: CompiledForm) -> None:
    stored = submit(visitor, {"Visitor": "Li Lei", "Host": str(BOB), "Arrival": "2026-01-05T19:05",
                              "Signature": str(PNG)})
    assert stored == {"f_visitor": "Li Lei", "f_host": str(BOB), "f_arrival": "2026-01-05T11:05:00Z",
                      "f_sign": str(PNG), "f_late": True}
    # With an explicit offset the zone is not needed; without an arrival, it is now.
    assert submit(visitor, {"Visitor": "x", "Host": str(BOB), "Arrival": "2026-01-05T19:05:00Z"})["f_late"] is False
    arrived_now = submit(visitor, {"Visitor": "x", "Host": str(ANN)})
    assert arrived_now["f_arrival"] == "2026-01-05T01:30:00Z" and arrived_now["f_late"] is False


def test_visitor_host_must_be_a_member(visitor: CompiledForm) -> None:
    assert submit_errors(visitor, {"Visitor": "x", "Host": str(STRANGER)}) == [("$.data.Host", "exists")]
    assert submit_errors(visitor, {"Visitor": "x", "Host": "Mr. Wang"}) == [("$.data.Host", "type")]
    assert submit_errors(visitor, {"Visitor": "x"}) == [("$.data.Host", "required")]


def test_visitor_tack_sets_serial_and_system_fields(visitor: CompiledForm) -> None:
    assert submit_errors(visitor, {"Visitor": "x", "Host": str(ANN), "No": "VIS-1", "f_regby": str(ANN),
                                   "Registered at": "2026-01-05T00:00:00Z"}) == [
        ("$.data.No", "read-only"), ("$.data.f_regby", "read-only"), ("$.data.Registered at", "read-only")]


def test_visitor_files_must_be_known_images(visitor: CompiledForm) -> None:
    assert submit_errors(visitor, {"Visitor": "x", "Host": str(ANN), "Photo": [str(PDF)],
                                   "Signature": str(STRANGER)}) == [
        ("$.data.Photo[0]", "accept"), ("$.data.Signature", "exists")]
    assert submit_errors(visitor, {"Visitor": "x", "Host": str(ANN), "Photo": [str(PNG), str(PDF)]}) == [
        ("$.data.Photo[1]", "accept")]


# ---- defaults and updates --------------------------------------------------------------------------


def test_defaults_by_formula_use_the_org_clock_and_zone() -> None:
    cf = compiled(
        {"name": "day", "type": "date", "default": "TODAY()"},
        {"name": "due", "type": "date", "default": "WORKDAY(day, 3)"},  # sees the default before it
        {"name": "kind", "type": "select", "settings": {"options": [{"id": "n", "label": "Normal"}]},
         "default": '"normal"'},
        {"name": "bad", "type": "select", "settings": {"options": [{"id": "n", "label": "Normal"}]},
         "default": '"Urgent"'},  # does not fit the options: no default
        {"name": "who", "type": "text", "default": 'IF(day = DATE(2026, 1, 5), "Monday", "other")'},
    )
    evening = vctx(now=dt.datetime(2026, 1, 4, 20, 0, tzinfo=dt.UTC))  # already Monday in Shanghai
    assert submit(cf, {}, ctx=evening) == {"f_day0": "2026-01-05", "f_due0": "2026-01-08", "f_kind": "n",
                                           "f_who0": "Monday"}
    assert submit(cf, {}, ctx=vctx(time_zone="UTC", now=dt.datetime(2026, 1, 4, 20, 0, tzinfo=dt.UTC)))[
        "f_day0"] == "2026-01-04"
    # Sent, even blank, is not defaulted; an update never is.
    assert submit(cf, {"day": None, "kind": ""}, ctx=evening) == {"f_who0": "other"}
    assert submit(cf, {"who": "x"}, previous={}) == {"f_who0": "x"}


def test_updates_keep_what_was_not_sent(expense: CompiledForm) -> None:
    first = submit(expense, {"title": "Trip", "lines": [{"item": "hotel", "amount": 1500, "receipt": [str(PNG)]}],
                             "reason": "Client"})
    assert first["f_reason"] == "Client"
    retitled = submit(expense, {"title": "Trip to Shanghai"}, previous=first)
    assert retitled == {**first, "f_title": "Trip to Shanghai"}
    # Fewer lines: the total is recomputed, and the reason, now hidden, is dropped.
    cheaper = submit(expense, {"f_lines": [{"item": "hostel", "amount": 200}]}, previous=first)
    assert cheaper == {"f_title": "Trip", "f_lines": [{"f_item": "hostel", "f_amount": 200}], "f_total": 200}
    # Clearing a required field is refused.
    assert submit_errors(expense, {"title": None}, previous=first) == [("$.data.title", "required")]


def test_checkbox_required_means_ticked() -> None:
    cf = compiled({"name": "terms", "type": "checkbox", "required": True}, {"name": "news", "type": "checkbox"})
    assert submit_errors(cf, {"terms": False}) == [("$.data.terms", "required")]
    assert submit(cf, {"terms": True, "news": False}) == {"f_terms": True}


def test_error_paths_never_hide_a_field_that_shares_a_prefix() -> None:
    cf = compiled({"name": "amount", "type": "number"}, {"name": "amount2", "type": "number", "required": True})
    assert submit_errors(cf, {"amount": "x"}) == [("$.data.amount", "type"), ("$.data.amount2", "required")]


def test_layout_fields_take_no_value() -> None:
    cf = compiled({"name": "Intro", "type": "section"}, {"name": "Name"})
    assert submit_errors(cf, {"Intro": "x", "Name": "y"}) == [("$.data.Intro", "read-only")]
    assert submit(cf, {"Name": "y"}) == {"f_name": "y"}


def test_multi_value_errors_point_at_the_item() -> None:
    cf = compiled({"name": "team", "type": "members"}, {"name": "tags", "type": "multiselect",
                                                         "settings": {"options": [{"id": "a", "label": "A"}]}})
    assert submit_errors(cf, {"team": [str(ANN), str(STRANGER)], "tags": ["A", "B"]}) == [
        ("$.data.team[1]", "exists"), ("$.data.tags[1]", "option")]


def test_formulas_see_select_labels_and_location_addresses() -> None:
    cf = compiled(
        {"name": "kind", "type": "multiselect", "settings": {"options": [{"id": "x1", "label": "Urgent"},
                                                                         {"id": "x2", "label": "Paid"}]}},
        {"name": "where", "type": "location"},
        {"name": "summary", "type": "formula",
         "settings": {"expression": 'IF(CONTAINS(kind, "Urgent"), "!", "") & where'}},
    )
    stored = submit(cf, {"kind": ["urgent"], "where": {"lat": 31.2, "lng": 121.5, "address": "Dock 3"}})
    assert stored["f_summary"] == "!Dock 3"


def test_computed_values_are_stored_as_json() -> None:
    cf = compiled(
        {"name": "start", "type": "date"},
        {"name": "lines", "type": "subtable", "columns": [{"name": "item"}]},
        {"name": "stamp", "type": "formula", "settings": {"expression": "NOW()"}},
        {"name": "due", "type": "formula", "settings": {"expression": "start + 7"}},
        {"name": "items", "type": "formula", "settings": {"expression": "lines.item"}},
        {"name": "ratio", "type": "formula", "settings": {"expression": "1 / 3", "decimals": 2}},
        {"name": "oops", "type": "formula", "settings": {"expression": "1 / 0"}},
    )
    stored = submit(cf, {"start": "2026-01-05", "lines": [{"item": "a"}, {"item": "b"}]})
    assert stored == {"f_start": "2026-01-05", "f_lines": [{"f_item": "a"}, {"f_item": "b"}],
                      "f_stamp": "2026-01-05T01:30:00Z", "f_due0": "2026-01-12", "f_items": ["a", "b"],
                      "f_ratio": 0.33}  # an error value (#DIV/0!) is stored as blank
    msgspec.json.encode(stored)
