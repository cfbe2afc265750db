"""Dependencies, recomputation order, cycles and what to recompute."""

from __future__ import annotations

import pytest

from tack.formula import DependencyGraph, FormulaError, dependencies, parse

ORDER_FORM = {
    "label": 'IF(total > 1000, "large", "small")',
    "total": "subtotal + tax",
    "tax": "ROUND(subtotal * [Tax rate], 2)",
    "subtotal": "SUM(lines.amount) - discount",
    "due": "DATEADD(ordered, 30)",
}


def test_dependencies() -> None:
    assert dependencies("SUM(lines.amount) + [Tax rate] * amount + 1") == {"lines", "Tax rate", "amount"}
    assert dependencies(parse("TODAY()")) == set()
    assert dependencies(parse("a + a").root) == {"a"}


def test_order_puts_each_field_after_what_it_reads() -> None:
    g = DependencyGraph(ORDER_FORM)
    order = g.order()
    assert sorted(order) == sorted(ORDER_FORM)
    for name in ORDER_FORM:
        for source in g.reads(name):
            if source in ORDER_FORM:
                assert order.index(source) < order.index(name), (source, name)
    assert order == ["subtotal", "tax", "total", "label", "due"]


@pytest.mark.parametrize(
    ("changed", "recompute"),
    [
        (("discount",), ["subtotal", "tax", "total", "label"]),
        (("lines",), ["subtotal", "tax", "total", "label"]),
        (("Tax rate",), ["tax", "total", "label"]),
        (("total",), ["label"]),
        (("ordered",), ["due"]),
        (("ordered", "Tax rate"), ["tax", "total", "label", "due"]),
        (("unrelated",), []),
        ((), []),
    ],
)
def test_what_to_recompute(changed: tuple[str, ...], recompute: list[str]) -> None:
    assert DependencyGraph(ORDER_FORM).affected_by(*changed) == recompute


@pytest.mark.parametrize(
    ("formulas", "message", "field", "column"),
    [
        ({"A": "B + 1", "B": "A * 2"}, "Circular formula: [A] → [B] → [A]", "A", 1),
        ({"A": "1 + A"}, "Circular formula: [A] → [A]", "A", 5),
        ({"x": "1", "A": "x + [B]", "B": "C", "C": "IF(TRUE, A, 0)"}, "Circular formula: [A] → [B] → [C] → [A]", "A", 5),
        ({"T": "SUM(T.amount)"}, "Circular formula: [T] → [T]", "T", 5),
    ],
)
def test_cycles_are_refused_by_name(formulas: dict[str, str], message: str, field: str, column: int) -> None:
    with pytest.raises(FormulaError) as e:
        DependencyGraph(formulas)
    assert e.value.message == message
    assert e.value.kind == "cycle" and e.value.field == field and e.value.column == column
    assert e.value.cycle[0] == e.value.cycle[-1] == field


def test_a_formula_that_does_not_parse_names_its_field() -> None:
    with pytest.raises(FormulaError) as e:
        DependencyGraph({"ok": "1", "bad": "1 +"})
    assert e.value.field == "bad" and e.value.kind == "syntax"
    assert e.value.to_dict()["field"] == "bad"


def test_a_long_chain_needs_no_recursion() -> None:
    chain = {f"f{i}": f"f{i + 1} + 1" for i in range(5000)}
    g = DependencyGraph(chain)
    assert g.order()[0] == "f4999" and g.order()[-1] == "f0"
    assert len(g.affected_by("f5000")) == 5000
    chain["f4999"] = "f0"
    with pytest.raises(FormulaError, match=r"Circular formula: \[f0\] → \[f1\] → .* → \[f4999\] → \[f0\]"):
        DependencyGraph(chain)
