"""Printing trees back to source, and renaming fields without disturbing the user's text."""

from __future__ import annotations

import pytest

from tack.formula import parse, rename_column, rename_field, to_source


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("-2^2", "-2 ^ 2"),
        ("-(2^2)", "-(2 ^ 2)"),
        ("2^(3^2)", "2 ^ (3 ^ 2)"),
        ("a-(b-c)", "a - (b - c)"),
        ("-(5%)", "-(5%)"),
        ('[Start date]&"say ""hi"""', '[Start date] & "say ""hi"""'),
        ("[Expense lines].[Amount]", "[Expense lines].Amount"),
        ("[true]", "[true]"),
        ("[a]]b]", "[a]]b]"),
        ("if(a>1,1,0)", "IF(a > 1, 1, 0)"),
        ("1.5e300", "1.5e300"),
        ("1e-7", "1e-07"),
        ("0.1", "0.1"),
        ("today()", "TODAY()"),
    ],
)
def test_to_source_round_trips(source: str, printed: str) -> None:
    tree = parse(source).root
    assert to_source(tree) == printed
    assert parse(printed).root == tree


def test_rename_field_keeps_everything_else() -> None:
    source = "SUM(lines.amount)  +  [Start date]*2 + amount   // spacing kept"
    source = source.split("//")[0]
    renamed = rename_field(source, {"lines": "Expense lines", "Start date": "begin", "amount": "Amount (¥)"})
    assert renamed == "SUM([Expense lines].amount)  +  begin*2 + [Amount (¥)]   "


def test_rename_column() -> None:
    assert rename_column("SUM(lines.amount) + [lines].[amount] + amount", "lines", {"amount": "value"}) == (
        "SUM(lines.value) + lines.value + amount"
    )
