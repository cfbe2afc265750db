"""Hypothesis strategies: token soups, and random *well-typed* formula trees over the test schema."""

from __future__ import annotations

import functools
from collections.abc import Callable

from hypothesis import strategies as st

from tack.formula.ast import Binary, Bool, Call, Node, Number, Ref, Text, Unary

TOKENS = [
    "1", "0", "2.5", "1e3", ".5", "99999999999999999999", '"a"', '""', '"x""y"', "TRUE", "FALSE",
    "amount", "qty", "name", "start", "end", "ok", "lines", "lines.amount", "[Start date]", "金额",
    "[lines].[item]", "blank_n", "blank_d", "x", "IF", "SUM", "ROUND", "DATE", "TODAY", "AND", "NOT",
    "IFERROR", "LEFT", "COUNTIF", "NETWORKDAYS", "TEXT", "SUBSTITUTE", "+", "-", "*", "/", "^", "&", "%",
    "=", "<>", "<", "<=", ">", ">=", "(", ")", ",", ".", "[", "]", '"', " ", "\n", "，", "!", "'",
]  # fmt: skip

token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)

Fields = tuple[tuple[str, tuple[str, ...]], ...]  # hashable: typed_tree is cached by its arguments
FIELDS: Fields = (
    ("number", ("amount", "qty", "blank_n")),
    ("text", ("name", "blank_t")),
    ("bool", ("ok", "blank_b")),
    ("date", ("start", "end", "blank_d", "hired")),
)
SQL_FIELDS: Fields = (("number", ("amount", "qty")), ("text", ("name",)), ("bool", ("ok",)), ("date", ("start", "end")))

Kind = str  # "number" | "text" | "bool" | "date"
Builder = Callable[[Kind, int], st.SearchStrategy[Node]]


def _call(name: str, *args: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.tuples(*args).map(lambda a: Call(name, tuple(a)))


def _binary(op: str, left: st.SearchStrategy[Node], right: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.tuples(left, right).map(lambda lr: Binary(op, lr[0], lr[1]))


def _unary(op: str, operand: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return operand.map(lambda x: Unary(op, x))


def _refs(names: tuple[str, ...]) -> st.SearchStrategy[Node]:
    return st.sampled_from(names).map(Ref)


@functools.cache
def typed_tree(
    kind: Kind, depth: int = 3, *, sql_only: bool = False, text_alphabet: str | None = None, fields: Fields = FIELDS
) -> st.SearchStrategy[Node]:
    """A random formula of type `kind`. With `sql_only`, only constructs that have an SQL form.
    (Cached: building the strategy graph once keeps the fuzz tests fast.)"""
    names = dict(fields)
    texts = st.text(alphabet=text_alphabet, max_size=8) if text_alphabet else st.text(max_size=8)
    leaves: dict[Kind, st.SearchStrategy[Node]] = {
        "number": st.one_of(
            st.integers(0, 10**6).map(Number),
            # Business-sized numbers: PostgreSQL raises (where Python gives #NUM!) when a float
            # overflows, which dividing by a subnormal like 1e-309 would make it do.
            st.floats(1e-6, 1e6).map(Number),
            _refs(names["number"]),
        ),
        "text": st.one_of(texts.map(Text), _refs(names["text"])),
        "bool": st.one_of(st.booleans().map(Bool), _refs(names["bool"])),
        "date": _refs(names["date"]),
    }
    if depth <= 0:
        return leaves[kind]

    def sub(k: Kind) -> st.SearchStrategy[Node]:
        return typed_tree(k, depth - 1, sql_only=sql_only, text_alphabet=text_alphabet, fields=fields)

    small = st.integers(-3, 3).map(lambda n: Number(n) if n >= 0 else Unary("-", Number(-n)))
    n, t, b, d = (st.deferred(lambda k=k: sub(k)) for k in ("number", "text", "bool", "date"))
    options: dict[Kind, list[st.SearchStrategy[Node]]] = {
        "number": [
            *(_binary(op, n, n) for op in "+-*/"),
            _unary("-", n), _unary("%", n),
            _call("IF", b, n, n), _call("ROUND", n, small), _call("ABS", n), _call("MOD", n, n),
            _call("SUM", n, n), _call("LEN", t), _call("YEAR", d), _call("MONTH", d), _call("DAY", d),
            _binary("-", d, d), _call("INT", n),
        ],
        "text": [
            _binary("&", t, t), _call("LEFT", t, small), _call("RIGHT", t, small), _call("MID", t, small, small),
            _call("UPPER", t), _call("LOWER", t), _call("TRIM", t), _call("IF", b, t, t), _call("CONCATENATE", t, t),
        ],
        "bool": [
            *(_binary(op, n, n) for op in ("=", "<>", "<", "<=", ">", ">=")),
            *(_binary(op, t, t) for op in ("=", "<", ">=")),
            *(_binary(op, d, d) for op in ("=", "<", ">")),
            _call("AND", b, b), _call("OR", b, b), _call("NOT", b), _call("ISBLANK", n), _call("ISBLANK", t),
            _call("CONTAINS", t, t), _call("IF", b, b, b),
        ],
        "date": [
            _binary("+", d, small), _binary("-", d, small), _call("DATEADD", d, small), _call("IF", b, d, d),
        ],
    }
    if not sql_only:
        options["number"] += [
            _binary("^", n, small), _call("AVERAGE", n, n), _call("MAX", n, n), _call("POWER", n, small),
            _call("SQRT", n), _call("CEILING", n, n), _call("FLOOR", n, n), _call("ROUNDUP", n, small),
            _call("NETWORKDAYS", d, d), _call("WEEKDAY", d), _call("IFERROR", n, n), _call("VALUE", t),
            _call("FIND", t, t), _call("DATEDIF", d, d, st.sampled_from(["Y", "M", "D", "YM", "MD"]).map(Text)),
            _call("COUNTIF", st.just(Ref("lines", "amount")), n), _call("SUM", st.just(Ref("lines", "amount"))),
        ]
        options["text"] += [
            _call("TEXT", n, st.sampled_from(["0.00", "#,##0", "0%", "yyyy-mm-dd"]).map(Text)),
            _call("SUBSTITUTE", t, t, t), _binary("&", n, d), _call("TEXTJOIN", t, b, st.just(Ref("lines", "item"))),
        ]
        options["date"] += [
            _call("WORKDAY", d, n), _call("EOMONTH", d, small), _call("DATE", n, n, n), _call("TODAY"),
            _call("DATEADD", d, n, st.sampled_from(["M", "Y", "W"]).map(Text)), _call("MAX", d, d),
        ]
        options["bool"] += [_call("ISERROR", n), _call("IFERROR", b, b), _call("ISBLANK", d)]
    return st.one_of(leaves[kind], *options[kind])


any_typed_tree = st.sampled_from(["number", "text", "bool", "date"]).flatmap(lambda k: typed_tree(k, 4))
