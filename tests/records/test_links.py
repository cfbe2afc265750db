"""Links between records: link fields, lookups and roll-ups.

First the field types and the form checks on their own (no database: the linked forms and
records are given as `LinkTargets` and a `ValueContext`), then the whole thing through the API
on SQLite and PostgreSQL: an order form linking to products, lookups kept fresh by the
`record-links` consumer and its durable job, backlinks, and the helpers imports and exports use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.consumers import consumers, process_once
from tack.core.ctx import Actor, Ctx
from tack.core.errors import ValidationFailed
from tack.core.events import Event
from tack.core.jobs import JobRunner
from tack.core.tables import outbox
from tack.forms.definition import CompiledForm, compile_form
from tack.forms.fields import FIELD_TYPES
from tack.forms.fields.link_plans import LinkTargets
from tack.formula import NUMBER, TEXT, list_of
from tack.records.link_tables import record_links
from tack.records.links import link_titles, match_link_texts
from tack.records.tables import record_revisions
from tests.conftest import Api, sign_in
from tests.forms.helpers import form, refusal, submit, submit_errors, vctx

PRODUCTS_ID = uuid.UUID("0190f5c2-0000-7000-8000-0000000000a1")
ORDERS_ID = uuid.UUID("0190f5c2-0000-7000-8000-0000000000a2")
APPLE, PEAR, PLUM = (uuid.UUID(f"0190f5c2-0000-7000-8000-0000000001{i:02d}") for i in (1, 2, 3))
ELSEWHERE = uuid.UUID("0190f5c2-0000-7000-8000-0000000001ff")  # a record of another form
STRANGER = uuid.UUID("0190f5c2-0000-7000-8000-00000000dead")

PRODUCT_FIELDS = [
    {"name": "Name", "type": "text"},
    {"name": "Price", "type": "money"},
    {"name": "Kind", "type": "select", "settings": {"options": [{"id": "o_food", "label": "Food"},
                                                                {"id": "o_tool", "label": "Tool"}]}},
    {"name": "Since", "type": "date"},
    {"name": "Tags", "type": "multiselect", "settings": {"options": [{"id": "t_red", "label": "Red"},
                                                                    {"id": "t_big", "label": "Big"}]}},
]
PRODUCTS = form(*PRODUCT_FIELDS, name="Products")


def link(name: str, multiple: bool = False, form_id: uuid.UUID = PRODUCTS_ID, **more: Any) -> dict[str, Any]:
    return {"name": name, "type": "link", "settings": {"form_id": str(form_id), "multiple": multiple, **more}}


def lookup(name: str, via: str, field: str) -> dict[str, Any]:
    return {"name": name, "type": "lookup", "settings": {"link": via, "field": field}}


def rollup(name: str, source: str, aggregate: str, field: str | None = None, **more: Any) -> dict[str, Any]:
    settings = {"source": source, "aggregate": aggregate, **({"field": field} if field else {}), **more}
    return {"name": name, "type": "rollup", "settings": settings}


def orders(*fields: dict[str, Any], targets: dict[uuid.UUID, Any] | None = None) -> CompiledForm:
    return compile_form(form(*fields, name="Orders"), LinkTargets(forms=targets or {PRODUCTS_ID: PRODUCTS},
                                                                  self_id=ORDERS_ID))


def errors_of(*fields: dict[str, Any], targets: dict[uuid.UUID, Any] | None = None) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        orders(*fields, targets=targets)
    return [(e.path, e.rule) for e in info.value.errors]


def shop(**overrides: Any) -> Any:
    """Three products (apple, pear, plum) and a record of another form, as the batch lookup finds them."""
    data = {APPLE: {"f_name": "Apple", "f_price": 2.5, "f_kind": "o_food", "f_since": "2026-03-01",
                    "f_tags": ["t_red"]},
            PEAR: {"f_name": "Pear", "f_price": 4, "f_kind": "o_food", "f_since": "2025-12-24",
                   "f_tags": ["t_red", "t_big"]},
            PLUM: {"f_name": "Plum", "f_kind": "o_tool"}}
    base: dict[str, Any] = {"known_records": {APPLE: PRODUCTS_ID, PEAR: PRODUCTS_ID, PLUM: PRODUCTS_ID,
                                              ELSEWHERE: ORDERS_ID},
                            "linked_data": data}
    base.update(overrides)
    return vctx(**base)


# ---- the link field ------------------------------------------------------------------------------

def test_link_values_are_lists_of_live_record_ids_of_the_linked_form() -> None:
    one = {"form_id": str(PRODUCTS_ID)}
    many = {"form_id": str(PRODUCTS_ID), "multiple": True, "max": 2}
    clean = FIELD_TYPES.get("link").clean
    settings = FIELD_TYPES.get("link").settings_of
    assert clean(str(APPLE), settings(one), shop()) == [str(APPLE)]
    assert clean([str(APPLE).upper()], settings(one), shop()) == [str(APPLE)], "any spelling; stored canonical"
    assert clean([str(APPLE), str(PEAR), str(APPLE)], settings(many), shop()) == [str(APPLE), str(PEAR)]
    assert refusal("link", [str(APPLE), str(PEAR)], one, shop()).rule == "max-items"
    assert refusal("link", [str(APPLE), str(PEAR), str(PLUM)], many, shop()).rule == "max-items"
    bad = refusal("link", [str(APPLE), str(STRANGER)], many, shop())
    assert (bad.rule, bad.at) == ("exists", "[1]"), "an id no lookup found: another org's, or none at all"
    assert refusal("link", str(ELSEWHERE), one, shop()).rule == "exists", "a record of another form"
    assert refusal("link", "apple", one, shop()).rule == "type"
    assert refusal("link", {"id": str(APPLE)}, one, shop()).rule == "type"
    assert refusal("link", [str(APPLE)] * 1001, many, shop()).rule == "max-items"


def test_link_settings_are_checked() -> None:
    errors = errors_of({"name": "A", "type": "link", "settings": {"form_id": str(PRODUCTS_ID), "max": 3}},
                       {"name": "B", "type": "link", "settings": {}},
                       {"name": "C", "type": "link", "settings": {"form_id": "nope"}},
                       link("D", form_id=STRANGER))
    assert ("$.fields[0].settings.max", "max") in errors
    assert ("$.fields[1].settings.form_id", "settings") in errors
    assert ("$.fields[2].settings.form_id", "settings") in errors
    assert ("$.fields[3].settings.form_id", "exists") in errors, "no such form in the organization"


def test_link_text_shows_titles_and_reads_back_ids_or_titles() -> None:
    t = FIELD_TYPES.get("link")
    s = t.settings_of({"form_id": str(PRODUCTS_ID), "multiple": True})
    assert t.to_text([str(APPLE), str(PEAR)], s) == f"{APPLE}; {PEAR}"
    assert t.to_text([str(APPLE), str(PEAR)], s, titles={str(APPLE): "Apple, red"}) == f"Apple, red; {PEAR}"
    assert t.from_text("Apple, red; Pear\nPlum ;", s) == ["Apple, red", "Pear", "Plum"]
    assert t.to_text(None, s) == ""


# ---- lookups ---------------------------------------------------------------------------------------

def test_a_lookup_through_one_link_has_the_linked_fields_type() -> None:
    cf = orders(link("Product"), {"name": "Qty", "type": "number"},
                lookup("Unit price", "Product", "Price"), lookup("Kind", "Product", "f_kind"),
                {"name": "Total", "type": "formula", "settings": {"expression": "[Qty] * [Unit price]"}},
                {"name": "Is food", "type": "formula", "settings": {"expression": 'Kind = "Food"'}})
    assert cf.by_key["Unit price"].type == NUMBER and cf.by_key["Kind"].type == TEXT
    data = submit(cf, {"Product": str(APPLE), "Qty": 3}, ctx=shop())
    assert data["f_unitprice"] == 2.5 and data["f_total"] == 7.5
    assert data["f_kind"] == "o_food", "stored as the linked field stores it (the option id)"
    assert data["f_isfood"] is True, "formulas see it as people do (the label)"
    assert cf.by_key["Kind"].ftype.to_text("o_food", cf.by_key["Kind"].settings) == "Food"
    kind = cf.by_key["Kind"]
    assert kind.ftype.query_kind_for(kind.settings) == "select" and kind.settings.options[0].id == "o_food"
    # no product, or a product without a price: blank (and the formula sees a blank)
    data = submit(cf, {"Product": str(PLUM), "Qty": 3}, ctx=shop())
    assert "f_unitprice" not in data and data["f_total"] == 0
    assert "f_unitprice" not in submit(cf, {"Qty": 1}, ctx=shop())


def test_a_lookup_through_many_links_is_a_list_without_blanks() -> None:
    cf = orders(link("Products", multiple=True), lookup("Prices", "Products", "Price"),
                lookup("Tags", "Products", "Tags"), lookup("Days", "Products", "Since"),
                {"name": "Sum", "type": "formula", "settings": {"expression": "SUM(Prices)"}})
    assert cf.by_key["Prices"].type == list_of(NUMBER)
    data = submit(cf, {"Products": [str(PEAR), str(PLUM), str(APPLE)]}, ctx=shop())
    assert data["f_prices"] == [4, 2.5] and data["f_sum0"] == 6.5
    assert data["f_tags"] == ["t_red", "t_big", "t_red"], "lists are flattened, in link order"
    assert cf.by_key["Tags"].ftype.to_text(data["f_tags"], cf.by_key["Tags"].settings) == "Red, Big, Red"
    assert cf.by_key["Days"].ftype.to_text(data["f_days"], cf.by_key["Days"].settings) == "2025-12-24, 2026-03-01"
    assert cf.by_key["Prices"].ftype.query_kind_for(cf.by_key["Prices"].settings) == "presence"
    assert cf.by_key["Tags"].ftype.query_kind_for(cf.by_key["Tags"].settings) == "multiselect"
    # a list is not a number: the formula checker says so when the form is saved
    errors = errors_of(link("Products", multiple=True), lookup("Prices", "Products", "Price"),
                       {"name": "Qty", "type": "number"},
                       {"name": "Bad", "type": "formula", "settings": {"expression": "Qty * Prices"}})
    assert errors == [("$.fields[3].settings.expression", "formula")]


def test_deleted_linked_records_read_as_gone() -> None:
    cf = orders(link("Products", multiple=True), lookup("Names", "Products", "Name"),
                rollup("How many", "Products", "COUNT"))
    linked = shop()
    del linked.linked_data[PEAR]  # deleted since: still known (a kept link), no longer read
    data = submit(cf, {}, ctx=linked, previous={"f_products": [str(APPLE), str(PEAR)]})
    assert data["f_products"] == [str(APPLE), str(PEAR)], "the link keeps naming it (a restore brings it back)"
    assert data["f_names"] == ["Apple"] and data["f_howmany"] == 1


def test_lookups_and_rollups_cannot_be_set_or_sit_in_a_sub_table() -> None:
    cf = orders(link("Product"), lookup("Price", "Product", "Price"), rollup("N", "Product", "COUNT"))
    assert sorted(submit_errors(cf, {"Price": 3, "N": 1}, ctx=shop())) == [
        ("$.data.N", "read-only"), ("$.data.Price", "read-only")]
    errors = errors_of(link("Product"), {"name": "Lines", "type": "subtable", "columns": [
        {"name": "What", "type": "text"}, lookup("Price", "Product", "Price")]})
    assert errors == [("$.fields[1].columns[1].type", "nesting")]
    errors = errors_of(link("Product"), dict(lookup("Price", "Product", "Price"), required=True))
    assert errors == [("$.fields[1].required", "computed")]


def test_lookup_settings_name_a_link_of_this_form_and_a_field_of_the_linked_one() -> None:
    errors = errors_of(link("Product"), {"name": "Qty", "type": "number"},
                       lookup("A", "Qty", "Price"),  # not a link field
                       lookup("B", "Nope", "Price"),
                       lookup("C", "Product", "Weight"),  # no such field there
                       {"name": "D", "type": "lookup", "settings": {"link": "Product"}},
                       {"name": "E", "type": "lookup", "settings": {"link": "Product", "field": "Name", "x": 1}})
    assert errors == [("$.fields[5].settings.field", "settings"), ("$.fields[6].settings.x", "settings"),
                      ("$.fields[2].settings.link", "link"), ("$.fields[3].settings.link", "link"),
                      ("$.fields[4].settings.field", "exists")]
    products = form(*PRODUCT_FIELDS, {"name": "Parts", "type": "subtable", "columns": [{"name": "P", "type": "text"}]},
                    {"name": "Note", "type": "description"}, name="Products")
    errors = errors_of(link("Product"), lookup("A", "Product", "Parts"), lookup("B", "Product", "Note"),
                       targets={PRODUCTS_ID: products})
    assert errors == [("$.fields[1].settings.field", "field"), ("$.fields[2].settings.field", "field")]


def test_a_circular_lookup_chain_is_refused() -> None:
    # Orders.[Product name] looks up Products.[Order note], which looks up Orders.[Product name].
    products = form(*PRODUCT_FIELDS, link("Order", form_id=ORDERS_ID), lookup("Order note", "Order", "Product name"),
                    name="Products")
    errors = errors_of(link("Product"), lookup("Product name", "Product", "Order note"),
                       targets={PRODUCTS_ID: products})
    assert errors == [("$.fields[1].settings.field", "circular")]
    # ... also when a formula stands in the chain, and on a link to the form itself.
    errors = errors_of(link("Parent", form_id=ORDERS_ID), lookup("Parent code", "Parent", "Code"),
                       {"name": "Code", "type": "formula", "settings": {"expression": '"X-" & [Parent code]'}})
    assert ("$.fields[1].settings.field", "circular") in errors
    # A chain that does not come back is fine: Orders -> Products.[Order total] -> Orders.[Qty].
    products = form(*PRODUCT_FIELDS, link("Order", form_id=ORDERS_ID), lookup("Order qty", "Order", "Qty"),
                    name="Products")
    cf = orders(link("Product"), {"name": "Qty", "type": "number"}, lookup("Again", "Product", "Order qty"),
                targets={PRODUCTS_ID: products})
    assert cf.by_key["Again"].type == NUMBER


def test_a_lookup_of_a_lookup_reads_through_both_forms() -> None:
    makers_id = uuid.UUID(int=77)
    makers = form({"name": "Maker", "type": "text"}, {"name": "Country", "type": "text"}, name="Makers")
    products = form(*PRODUCT_FIELDS, link("Made by", form_id=makers_id), lookup("Origin", "Made by", "Country"),
                    {"name": "Label", "type": "formula", "settings": {"expression": 'Name & " / " & Origin'}},
                    name="Products")
    cf = orders(link("Product"), lookup("Origin", "Product", "Origin"), lookup("Label", "Product", "Label"),
                targets={PRODUCTS_ID: products, makers_id: makers})
    assert cf.by_key["Origin"].type == TEXT and cf.by_key["Label"].type == TEXT
    linked = shop()
    linked.linked_data[APPLE] |= {"f_origin": "Spain", "f_label": "Apple / Spain"}
    data = submit(cf, {"Product": str(APPLE)}, ctx=linked)
    assert data["f_origin"] == "Spain" and data["f_label"] == "Apple / Spain"


def test_without_the_linked_forms_lookups_read_as_any() -> None:
    """compile_form without targets (a published form whose linked form went away) still
    compiles: nothing about other forms is checked, lookups are untyped."""
    cf = compile_form(form(link("Product"), lookup("Price", "Product", "f_price"), {"name": "Qty", "type": "number"},
                           rollup("Sum", "Product", "SUM", "f_price"),
                           {"name": "Total", "type": "formula", "settings": {"expression": "Qty * Price + Sum"}}))
    assert cf.by_key["Price"].type.name == "any" and cf.by_key["Sum"].type == NUMBER
    data = submit(cf, {"Product": str(APPLE), "Qty": 2}, ctx=shop())
    assert data["f_total"] == 7.5, "computed from the field ids the settings give"


# ---- roll-ups --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("aggregate", "field", "expected"), [
    ("SUM", "Price", 6.5), ("AVERAGE", "Price", 3.25), ("MIN", "Price", 2.5), ("MAX", "Price", 4),
    ("COUNT", None, 3), ("COUNTA", "Price", 2), ("COUNTA", "Tags", 3), ("COUNTUNIQUE", "Kind", 2),
    ("COUNTUNIQUE", "Tags", 2), ("CONCAT", "Kind", "Food, Food, Tool"), ("CONCAT", "Name", "Apple, Pear, Plum"),
    ("MIN", "Since", "2025-12-24"), ("MAX", "Since", "2026-03-01"),
])
def test_rollups_over_a_link(aggregate: str, field: str | None, expected: Any) -> None:
    cf = orders(link("Products", multiple=True), rollup("R", "Products", aggregate, field))
    data = submit(cf, {"Products": [str(APPLE), str(PEAR), str(PLUM)]}, ctx=shop())
    assert data["f_r000"] == expected


def test_rollups_of_nothing() -> None:
    cf = orders(link("Products", multiple=True), rollup("Sum", "Products", "SUM", "Price"),
                rollup("Avg", "Products", "AVERAGE", "Price"), rollup("N", "Products", "COUNT"),
                rollup("Max", "Products", "MAX", "Since"), rollup("All", "Products", "CONCAT", "Name"))
    data = submit(cf, {}, ctx=shop())
    assert data == {"f_sum0": 0, "f_n000": 0}, "SUM and COUNT of nothing are 0; the rest are blank"


def test_rollups_over_a_sub_table_with_formula_columns_and_formulas_reading_them() -> None:
    cf = orders({"name": "Lines", "type": "subtable", "columns": [
        {"name": "Qty", "type": "number"}, {"name": "Price", "type": "money"},
        {"name": "Amount", "type": "formula", "settings": {"expression": "Qty * Price"}},
        {"name": "Due", "type": "date"}]},
        rollup("Total", "Lines", "SUM", "Amount", decimals=2), rollup("Lines n", "Lines", "COUNT"),
        rollup("Avg", "Lines", "AVERAGE", "f_price", decimals=1), rollup("First due", "Lines", "MIN", "Due"),
        {"name": "With tax", "type": "formula", "settings": {"expression": "Total * 1.1"}})
    assert cf.by_key["First due"].type.name == "date"
    data = submit(cf, {"Lines": [{"Qty": 3, "Price": 0.1, "Due": "2026-05-01"}, {"Qty": 1, "Price": 0.2},
                                 {"Qty": 2, "Price": "1.005", "Due": "2026-04-30"}]}, ctx=shop())  # 1.01
    assert data["f_total"] == 2.52 and data["f_linesn"] == 3 and data["f_avg0"] == 0.4
    assert data["f_firstdue"] == "2026-04-30" and data["f_withtax"] == pytest.approx(2.772)
    rollup_type = cf.by_key["Total"].ftype
    assert rollup_type.query_kind_for(cf.by_key["Total"].settings) == "number"
    assert rollup_type.to_text(2.5, cf.by_key["Total"].settings) == "2.50"


def test_rollup_settings_are_checked() -> None:
    errors = errors_of(link("Products", multiple=True), {"name": "Qty", "type": "number"},
                       {"name": "Lines", "type": "subtable", "columns": [{"name": "What", "type": "text"}]},
                       rollup("A", "Qty", "SUM", "Price"),
                       rollup("B", "Products", "SUM", "Name"),
                       rollup("C", "Products", "MAX", "Kind"),
                       rollup("D", "Products", "SUM"),
                       rollup("E", "Lines", "AVERAGE", "What"),
                       rollup("F", "Lines", "SUM", "Nope"),
                       rollup("G", "Products", "MEDIAN", "Price"))
    assert sorted(errors) == sorted([
        ("$.fields[3].settings.source", "source"), ("$.fields[4].settings.aggregate", "aggregate"),
        ("$.fields[5].settings.aggregate", "aggregate"), ("$.fields[6].settings.field", "required"),
        ("$.fields[7].settings.aggregate", "aggregate"), ("$.fields[8].settings.field", "exists"),
        ("$.fields[9].settings.aggregate", "settings")])


# ---- through the API, on both databases -----------------------------------------------------------------

async def make_app(api: Api, org: str) -> str:
    r = await api.post(f"/api/v1/orgs/{org}/apps", {"name": "Shop"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def make_form(api: Api, org: str, app: str, definition: dict[str, Any]) -> str:
    r = await api.post(f"/api/v1/orgs/{org}/apps/{app}/forms", definition)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def api_form(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    from tests.forms.helpers import _with_id

    return {"name": name, "fields": [_with_id(f) for f in fields]}


async def add(api: Api, org: str, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
    r = await api.post(f"/api/v1/orgs/{org}/forms/{form_id}/records", {"data": data})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def settle(rt: Any) -> int:
    """Deliver every committed event to the `record-links` consumer (once each, as the bus
    would) and run the jobs it enqueues, until nothing is left to do; returns jobs run."""
    c = consumers.get("record-links")
    ran = 0
    for _ in range(20):
        async with rt.db.transaction(write=False) as conn:
            rows = (await conn.execute(sa.select(outbox).order_by(outbox.c.id))).mappings().all()
        fresh = 0
        for r in rows:
            ev = Event(id=r["id"], org_id=r["org_id"], type=r["type"], subject=r["subject"], time=r["at"],
                       data=r["data"])
            fresh += await process_once(rt.db, rt.clock, c, ev)
        jobs = await JobRunner(rt.db, rt.clock).drain()
        ran += jobs
        if not fresh and not jobs:
            return ran
    raise AssertionError("links never settled")


@pytest.fixture
async def shop_app(alice: Api, demo: dict[str, Any]) -> dict[str, Any]:
    org = demo["org_id"]
    app = await make_app(alice, org)
    products = await make_form(alice, org, app, api_form("Products", *PRODUCT_FIELDS))
    orders_form = await make_form(alice, org, app, api_form(
        "Orders", {"name": "Title", "type": "text"},
        link("Product", form_id=uuid.UUID(products)), link("Extras", True, uuid.UUID(products)),
        {"name": "Qty", "type": "number"}, lookup("Unit price", "Product", "Price"),
        lookup("Extra names", "Extras", "Name"), rollup("Extras total", "Extras", "SUM", "Price"),
        {"name": "Total", "type": "formula",
         "settings": {"expression": "Qty * [Unit price] + [Extras total]"}}))
    ids = {}
    for name, price in (("Apple", 2.5), ("Pear", 4), ("Plum", 1)):
        ids[name] = (await add(alice, org, products, {"Name": name, "Price": price}))["id"]
    return {"org": org, "app": app, "products": products, "orders": orders_form, **ids}


async def test_orders_link_products_and_look_up_their_prices(alice: Api, shop_app: dict[str, Any], rt: Any) -> None:
    s = shop_app
    rec = await add(alice, s["org"], s["orders"], {"Title": "First", "Product": s["Apple"], "Qty": 2,
                                                   "Extras": [s["Pear"], s["Plum"]]})
    d = rec["data"]
    assert d["f_product"] == [s["Apple"]] and d["f_extras"] == [s["Pear"], s["Plum"]]
    assert d["f_unitprice"] == 2.5 and d["f_extranames"] == ["Pear", "Plum"] and d["f_extrastotal"] == 5
    assert d["f_total"] == 10
    async with rt.db.transaction(write=False) as conn:
        rows = (await conn.execute(sa.select(record_links.c.field_id, record_links.c.target_id).where(
            record_links.c.record_id == uuid.UUID(rec["id"])))).all()
    assert sorted((f, str(t)) for f, t in rows) == sorted([
        ("f_product", s["Apple"]), ("f_extras", s["Pear"]), ("f_extras", s["Plum"])])
    # change the links: record_links follows in the same transaction
    r = await alice.patch(f"/api/v1/orgs/{s['org']}/records/{rec['id']}",
                          {"data": {"Extras": [s["Plum"]]}, "expected_version": 1})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["f_extrastotal"] == 1 and r.json()["data"]["f_total"] == 6
    async with rt.db.transaction(write=False) as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(record_links).where(
            record_links.c.record_id == uuid.UUID(rec["id"])))).scalar()
    assert n == 2
    # the links endpoint shows titles
    r = await alice.get(f"/api/v1/orgs/{s['org']}/records/{rec['id']}/links")
    assert [(i["field_id"], i["title"], i["deleted"]) for i in r.json()["items"]] == [
        ("f_product", "Apple", False), ("f_extras", "Plum", False)]


async def test_bad_links_are_refused_and_nothing_is_stored(client: Any, alice: Api, shop_app: dict[str, Any],
                                                            rt: Any) -> None:
    from tests.api.helpers import new_org

    s = shop_app
    url = f"/api/v1/orgs/{s['org']}/forms/{s['orders']}/records"
    first = await add(alice, s["org"], s["orders"], {"Title": "An order"})
    # a record of the wrong form (an order, not a product), none at all, two for a single link
    r = await alice.post(url, {"data": {"Product": first["id"], "Extras": [s["Pear"], str(uuid.uuid4())]}})
    assert r.status_code == 422
    assert {(e["path"], e["rule"]) for e in r.json()["errors"]} == {
        ("$.data.Product", "exists"), ("$.data.Extras[1]", "exists")}
    r = await alice.post(url, {"data": {"Product": [s["Apple"], s["Pear"]]}})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "max-items"
    # another organization's product is not a record here
    bob_api, other_org = await new_org(client, rt)
    other_app = await make_app(bob_api, other_org)
    other_products = await make_form(bob_api, other_org, other_app, api_form("Products", *PRODUCT_FIELDS))
    theirs = await add(bob_api, other_org, other_products, {"Name": "Foreign apple", "Price": 1})
    alice = await sign_in(client, "alice@example.com")
    r = await alice.post(url, {"data": {"Product": theirs["id"]}})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "exists"
    # ... nor is their form a form to link to
    r = await alice.post(f"/api/v1/orgs/{s['org']}/apps/{s['app']}/forms",
                         api_form("Sneaky", link("Theirs", form_id=uuid.UUID(other_products))))
    assert r.status_code == 422 and r.json()["errors"] == [
        {"path": "$.fields[0].settings.form_id", "message": "There is no such form in this organization.",
         "rule": "exists"}]
    async with rt.db.transaction(write=False) as conn:
        n = (await conn.execute(sa.select(sa.func.count()).select_from(record_links))).scalar()
    assert n == 0


async def test_lookups_are_refreshed_when_a_linked_record_changes(alice: Api, shop_app: dict[str, Any],
                                                                  rt: Any) -> None:
    s = shop_app
    orders_ = [await add(alice, s["org"], s["orders"], {"Title": f"o{i}", "Product": s["Apple"], "Qty": i + 1,
                                                         "Extras": [s["Pear"]]}) for i in range(3)]
    other = await add(alice, s["org"], s["orders"], {"Title": "plums", "Product": s["Plum"], "Qty": 1})
    await settle(rt)
    r = await alice.patch(f"/api/v1/orgs/{s['org']}/records/{s['Apple']}",
                          {"data": {"Price": 3}, "expected_version": 1})
    assert r.status_code == 200, r.text
    assert await settle(rt) >= 1
    for i, o in enumerate(orders_):
        got = (await alice.get(f"/api/v1/orgs/{s['org']}/records/{o['id']}")).json()
        assert got["data"]["f_unitprice"] == 3 and got["data"]["f_total"] == (i + 1) * 3 + 4
        assert got["version"] == 1 and got["updated_at"] == o["updated_at"], "a refresh is not an edit"
    assert (await alice.get(f"/api/v1/orgs/{s['org']}/records/{other['id']}")).json()["data"]["f_total"] == 1
    async with rt.db.transaction(write=False) as conn:
        revisions = (await conn.execute(sa.select(sa.func.count()).select_from(record_revisions).where(
            record_revisions.c.record_id == uuid.UUID(orders_[0]["id"])))).scalar()
        refreshed = (await conn.execute(sa.select(outbox.c.data).where(outbox.c.type == "record.refreshed"))).all()
    assert revisions == 1
    assert len(refreshed) == 3 and refreshed[0].data["changes"]["f_unitprice"] == [2.5, 3]
    # a deleted product reads as gone; restoring it brings it back
    r = await alice.delete(f"/api/v1/orgs/{s['org']}/records/{s['Pear']}")
    assert r.status_code == 200
    await settle(rt)
    got = (await alice.get(f"/api/v1/orgs/{s['org']}/records/{orders_[0]['id']}")).json()["data"]
    assert got["f_extras"] == [s["Pear"]] and "f_extranames" not in got and got["f_extrastotal"] == 0
    links = (await alice.get(f"/api/v1/orgs/{s['org']}/records/{orders_[0]['id']}/links")).json()["items"]
    assert [(i["title"], i["deleted"]) for i in links] == [("Apple", False), ("Pear", True)]
    # sending the kept link back unchanged is fine though its record is deleted; a new one is not
    r = await alice.patch(f"/api/v1/orgs/{s['org']}/records/{orders_[0]['id']}",
                          {"data": {"Extras": [s["Pear"]], "Qty": 10}, "expected_version": 1})
    assert r.status_code == 200, r.text
    r = await alice.patch(f"/api/v1/orgs/{s['org']}/records/{other['id']}",
                          {"data": {"Extras": [s["Pear"]]}, "expected_version": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "exists"
    assert (await alice.post(f"/api/v1/orgs/{s['org']}/records/{s['Pear']}/restore")).status_code == 200
    await settle(rt)
    got = (await alice.get(f"/api/v1/orgs/{s['org']}/records/{orders_[1]['id']}")).json()["data"]
    assert got["f_extranames"] == ["Pear"] and got["f_extrastotal"] == 4
    assert await settle(rt) == 0, "settled: nothing more to do"


async def test_a_refresh_job_runs_once_per_change_and_in_batches(alice: Api, shop_app: dict[str, Any], rt: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tack.records.links as links_mod

    monkeypatch.setattr(links_mod, "BATCH", 2)
    s = shop_app
    ids = [(await add(alice, s["org"], s["orders"], {"Product": s["Plum"], "Qty": 1}))["id"] for _ in range(5)]
    await settle(rt)
    for price in (5, 6):  # two quick changes: the second replaces the pending job of the first
        r = await alice.patch(f"/api/v1/orgs/{s['org']}/records/{s['Plum']}",
                              {"data": {"Price": price}, "expected_version": price - 4})
        assert r.status_code == 200, r.text
    ran = await settle(rt)
    assert ran == 3, "one job for the change, in batches of 2: three jobs"
    for i in ids:
        assert (await alice.get(f"/api/v1/orgs/{s['org']}/records/{i}")).json()["data"]["f_total"] == 6


async def test_backlinks_list_the_live_records_linking_here(alice: Api, shop_app: dict[str, Any]) -> None:
    s = shop_app
    made = [await add(alice, s["org"], s["orders"], {"Title": f"order {i}", "Extras": [s["Pear"]],
                                                     **({"Product": s["Pear"]} if i == 1 else {})})
            for i in range(4)]
    await alice.delete(f"/api/v1/orgs/{s['org']}/records/{made[3]['id']}")
    url = f"/api/v1/orgs/{s['org']}/records/{s['Pear']}/backlinks"
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        r = await alice.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [(i["title"], i["field_id"]) for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [("order 0", "f_extras"), ("order 1", "f_extras"), ("order 1", "f_product"),
                            ("order 2", "f_extras")]
    assert (await alice.get(url, params={"cursor": "garbage"})).status_code == 422
    r = await alice.get(f"/api/v1/orgs/{s['org']}/records/{uuid.uuid4()}/backlinks")
    assert r.status_code == 404


async def test_a_circular_chain_across_forms_is_refused_on_publish(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    app = await make_app(alice, org)
    a = await make_form(alice, org, app, api_form("A", {"name": "Name", "type": "text"}))
    b_def = api_form("B", {"name": "Name", "type": "text"}, link("To A", form_id=uuid.UUID(a)),
                     lookup("A name", "To A", "Name"))
    b = await make_form(alice, org, app, b_def)
    a_v2 = api_form("A", {"name": "Name", "type": "text"}, link("To B", form_id=uuid.UUID(b)),
                    lookup("B sees", "To B", "A name"))
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{a}/versions", {"definition": a_v2})
    assert r.status_code == 201, r.text
    b_v2 = api_form("B", {"name": "Name", "type": "text"}, link("To A", form_id=uuid.UUID(a)),
                    lookup("A name", "To A", "B sees"))
    r = await alice.post(f"/api/v1/orgs/{org}/forms/{b}/versions", {"definition": b_v2})
    assert r.status_code == 422
    e = r.json()["errors"][0]
    assert (e["path"], e["rule"]) == ("$.fields[2].settings.field", "circular")
    assert e["message"].endswith("B.[A name] → A.[B sees] → B.[A name]")


async def test_a_linked_form_changing_under_a_published_one_keeps_it_writable(
        alice: Api, shop_app: dict[str, Any]) -> None:
    s = shop_app
    fields = [f for f in PRODUCT_FIELDS if f["name"] != "Price"] + [{"name": "Price", "type": "text"}]
    r = await alice.post(f"/api/v1/orgs/{s['org']}/forms/{s['products']}/versions",
                         {"definition": api_form("Products", *fields)})
    assert r.status_code == 201, r.text
    # Orders' formula multiplied a number lookup: it now reads untyped, and the order still saves.
    rec = await add(alice, s["org"], s["orders"], {"Title": "after", "Product": s["Apple"], "Qty": 2})
    assert rec["data"]["f_unitprice"] == 2.5 and rec["data"]["f_total"] == 5


async def test_import_and_export_helpers_map_titles_and_ids(alice: Api, shop_app: dict[str, Any], rt: Any) -> None:
    s = shop_app
    await add(alice, s["org"], s["products"], {"Name": "Pear", "Price": 9})  # a second "Pear"
    order = await add(alice, s["org"], s["orders"], {"Product": s["Apple"], "Extras": [s["Plum"]]})
    org = uuid.UUID(s["org"])
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=org, actor=Actor.system(), conn=conn, clock=rt.clock)
        got = await match_link_texts(ctx, uuid.UUID(s["products"]), ["Apple", " Plum ", "Pear", "Kiwi", s["Apple"],
                                                                    order["id"]])
        assert got == {"Apple": s["Apple"], "Plum": s["Plum"], s["Apple"]: s["Apple"]}, \
            "a title two products share, an unknown one and a record of another form map to nothing"
        from tack.apps.service import compiled_form

        cf = await compiled_form(ctx, uuid.UUID(s["orders"]), 1)
        titles = await link_titles(ctx, cf, [order["data"]])
        assert titles == {s["Apple"]: "Apple", s["Plum"]: "Plum"}
        c = cf.by_key["Extras"]
        assert c.ftype.to_text(order["data"]["f_extras"], c.settings, titles=titles) == "Plum"


async def test_rollup_over_a_sub_table_through_the_api(alice: Api, demo: dict[str, Any]) -> None:
    org = demo["org_id"]
    app = await make_app(alice, org)
    f = await make_form(alice, org, app, api_form(
        "Claims", {"name": "Lines", "type": "subtable", "columns": [{"name": "Amount", "type": "money"},
                                                                    {"name": "Day", "type": "date"}]},
        rollup("Total", "Lines", "SUM", "Amount"), rollup("Last day", "Lines", "MAX", "Day"),
        rollup("Lines n", "Lines", "COUNT")))
    rec = await add(alice, org, f, {"Lines": [{"Amount": 10, "Day": "2026-01-02"}, {"Amount": "2.5"}]})
    assert rec["data"]["f_total"] == 12.5 and rec["data"]["f_lastday"] == "2026-01-02"
    assert rec["data"]["f_linesn"] == 2
    r = await alice.patch(f"/api/v1/orgs/{org}/records/{rec['id']}", {"data": {"Lines": []}, "expected_version": 1})
    assert r.json()["data"]["f_total"] == 0 and "f_lastday" not in r.json()["data"]
    assert dt.date.fromisoformat(rec["data"]["f_lastday"]).year == 2026


async def test_people_link_only_records_they_may_read(client: Any, shop_app: dict[str, Any]) -> None:
    """Members read their own records only (the default rights): a product someone else added
    is not theirs to link, nor are its backlinks theirs to list."""
    s = shop_app
    carol = await sign_in(client, "carol@example.com")
    url = f"/api/v1/orgs/{s['org']}/forms/{s['orders']}/records"
    r = await carol.post(url, {"data": {"Product": s["Apple"]}})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "exists"
    mine = await add(carol, s["org"], s["products"], {"Name": "Carol's quince", "Price": 7})
    order = await add(carol, s["org"], s["orders"], {"Product": mine["id"], "Qty": 2})
    assert order["data"]["f_total"] == 14
    assert (await carol.get(f"/api/v1/orgs/{s['org']}/records/{s['Apple']}/backlinks")).status_code == 404
    r = await carol.get(f"/api/v1/orgs/{s['org']}/records/{mine['id']}/backlinks")
    assert [i["record_id"] for i in r.json()["items"]] == [order["id"]]
