"""The parser: every construct, Excel's precedence, positions in errors, the limits."""

from __future__ import annotations

import pytest

from tack.formula import FormulaError, parse
from tack.formula.ast import Binary, Bool, Call, Number, Ref, Text, Unary
from tack.formula.parser import MAX_DEPTH, MAX_SOURCE


def tree(source: str) -> object:
    return parse(source).root


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("12", Number(12)),
        ("3.5", Number(3.5)),
        ("1e3", Number(1000)),
        ("2.5E-1", Number(0.25)),
        (".5", Number(0.5)),
        ('"text"', Text("text")),
        ('"say ""hi"""', Text('say "hi"')),
        ('""', Text("")),
        ('"多行\n文本"', Text("多行\n文本")),
        ("TRUE", Bool(True)),
        ("false", Bool(False)),
        ("amount", Ref("amount")),
        ("金额", Ref("金额")),
        ("_x1", Ref("_x1")),
        ("[Start date]", Ref("Start date")),
        ("[报销 金额]", Ref("报销 金额")),
        ("[a]]b]", Ref("a]b")),
        ("[TRUE]", Ref("TRUE")),
        ("lines.amount", Ref("lines", "amount")),
        ("[Expense lines].[Amount]", Ref("Expense lines", "Amount")),
        ("明细.金额", Ref("明细", "金额")),
        ("sum(1, 2)", Call("SUM", (Number(1), Number(2)))),
        ("TODAY()", Call("TODAY")),
        ("-x", Unary("-", Ref("x"))),
        ("+x", Unary("+", Ref("x"))),
        ("50%", Unary("%", Number(50))),
        ('a & "b"', Binary("&", Ref("a"), Text("b"))),
        ("=1+1", Binary("+", Number(1), Number(1))),  # a leading '=' as typed in a spreadsheet cell
        ("  1 \n + \t 2  ", Binary("+", Number(1), Number(2))),
        ("1\u3000+\u00a02", Binary("+", Number(1), Number(2))),  # full-width and no-break spaces
    ],
)
def test_constructs(source: str, expected: object) -> None:
    assert tree(source) == expected


@pytest.mark.parametrize("op", ["=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "^", "&"])
def test_every_binary_operator(op: str) -> None:
    assert tree(f"a {op} b") == Binary(op, Ref("a"), Ref("b"))


@pytest.mark.parametrize(
    ("source", "same_as"),
    [
        ("1 + 2 * 3", "1 + (2 * 3)"),
        ("1 - 2 - 3", "(1 - 2) - 3"),
        ("8 / 4 / 2", "(8 / 4) / 2"),
        ("2 ^ 3 ^ 2", "(2 ^ 3) ^ 2"),  # Excel: left-associative
        ("-2 ^ 2", "(-2) ^ 2"),  # Excel: negation binds tighter than ^
        ("-5%", "(-5)%"),
        ("2 ^ 50%", "2 ^ (50%)"),
        ("2 * 3 ^ 2", "2 * (3 ^ 2)"),
        ('1 + 2 & "x"', '(1 + 2) & "x"'),
        ('"a" & 1 = "a1"', '("a" & 1) = "a1"'),
        ("1 < 2 = TRUE", "(1 < 2) = TRUE"),
        ("2 ^ -1", "2 ^ (-1)"),
        ("--1", "-(-1)"),
    ],
)
def test_precedence_is_excels(source: str, same_as: str) -> None:
    assert tree(source) == tree(same_as)


def test_function_names_are_case_insensitive_and_fields_are_not() -> None:
    assert tree("If(a, B, c)") == Call("IF", (Ref("a"), Ref("B"), Ref("c")))


def test_positions_are_recorded() -> None:
    root = tree('IF(amount > 10,\n  "big", [Other field])')
    assert isinstance(root, Call)
    cond, big, other = root.args
    assert (cond.span.line, cond.span.column, cond.span.offset, cond.span.end) == (1, 4, 3, 14)
    assert (big.span.line, big.span.column, big.span.offset) == (2, 3, 18)
    assert (other.span.line, other.span.column) == (2, 10)
    assert root.span.offset == 0 and root.span.end == 39


def test_the_formula_keeps_its_source() -> None:
    f = parse("1+1")
    assert f.source == "1+1" and str(f) == "1+1"


def error(source: str) -> FormulaError:
    with pytest.raises(FormulaError) as e:
        parse(source)
    return e.value


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        ("", "The formula is empty", 1, 1),
        ("   ", "The formula is empty", 1, 1),
        ("1 +", "The formula ends too early: expected a value", 1, 4),
        ("IF(a, 1", "The formula ends too early: expected ',' or ')' (a '(' is not closed)", 1, 8),
        ("1 2", "Unexpected number 2: expected an operator or the end of the formula", 1, 3),
        ("SUM(1 2)", "Unexpected number 2: expected an operator, ',' or ')'", 1, 7),
        (")", "Unexpected ')': expected a value", 1, 1),
        ("f(,)", "Unexpected ',': expected a value or ')'", 1, 3),
        ("a\n+ * 2", "Unexpected '*': expected a value", 2, 3),
        ("lines.", "The formula ends too early: expected a column name", 1, 7),
        ("a.b.c", "Unexpected '.': expected an operator or the end of the formula (only a sub-table column "
                  "can follow a '.', as in lines.amount)", 1, 4),
        ('"open', "Unexpected character '\"': this text has no closing quote", 1, 1),
        ("[open", "Unexpected character '[': this field name has no closing ]", 1, 1),
        ("[]", "Unexpected character '[': a field name in brackets cannot be empty", 1, 1),
        ("a != b", "Unexpected character '!': use <> for 'not equal'", 1, 3),
        ("a == b", "Unexpected '=': use a single = to compare, <> for 'not equal'", 1, 4),
        ("SUM(a，b)", "Unexpected character '，': use the ASCII comma ',' between arguments", 1, 6),
        ("IF（a, 1）", "Unexpected character '（': use the ASCII parenthesis '('", 1, 3),
        ("'text'", "Unexpected character \"'\": put text in double quotes \"...\", not single quotes", 1, 1),
        ("a || b", "Unexpected character '|': use OR(a, b) instead of ||", 1, 3),
        ("1 $ 2", "Unexpected character '$'", 1, 3),
    ],
)
def test_syntax_errors_say_where_and_what(source: str, message: str, line: int, column: int) -> None:
    e = error(source)
    assert e.kind == "syntax" or source.strip() == ""
    assert e.message == message
    assert (e.line, e.column) == (line, column)
    assert str(e) == f"{message} (line {line}, column {column})"


def test_syntax_errors_list_what_was_expected() -> None:
    e = error("SUM(1 2)")
    assert e.expected == ("an operator", "','", "')'")
    assert (e.offset, e.end) == (6, 7)


def test_the_number_too_large_is_an_error_not_infinity() -> None:
    assert error("1e999").message == "The number 1e999 is too large"


def test_source_length_limit() -> None:
    assert parse("1" + " " * (MAX_SOURCE - 1)).root == Number(1)
    e = error("1" + " " * MAX_SOURCE)
    assert e.kind == "limit" and "longer than 4,000 characters" in e.message


@pytest.mark.parametrize(
    "source",
    [
        "(" * 100 + "1" + ")" * 100,
        "-" * 3000 + "1",
        "+".join(["1"] * 100),
        "IF(" * 70 + "1" + ",1)" * 70,
        "SUM(" * 300 + ")" * 300,
    ],
)
def test_deep_nesting_is_a_clear_error_never_a_recursion_error(source: str) -> None:
    e = error(source)
    assert e.kind == "limit" and e.message == f"The formula is nested too deeply (more than {MAX_DEPTH} levels)"


def test_depth_at_the_limit_is_fine() -> None:
    assert parse("(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)).root == Number(1)


def test_node_count_limit() -> None:
    # 1%% is three nodes in three characters, and shallow: the node limit, not the depth, stops it.
    wide = "SUM(" + ",".join(["1%%"] * 990) + ")"
    assert len(wide) <= MAX_SOURCE
    e = error(wide)
    assert e.kind == "limit" and "too long (more than 2000 parts)" in e.message
    assert parse("SUM(" + ",".join(["1%%"] * 666) + ")").root.size == 1999


def test_not_a_string() -> None:
    with pytest.raises(FormulaError):
        parse(12)  # type: ignore[arg-type]
