"""Fuzzing: no input crashes the parser or checker or runs long; random well-typed trees check,
evaluate (to values or error values, never exceptions), print and parse back, and — for the
part of the language with an SQL form — compute the same in SQLite and PostgreSQL as in Python."""

from __future__ import annotations

import os
import time
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tack.formula import EvalContext, FormulaError, Type, check, compile_py, compile_sql, parse, to_source
from tack.formula.ast import Node

from .conftest import NOW, SCHEMA, VALUES
from .sqlsupport import ROWS, Db, same
from .sqlsupport import SCHEMA as SQL_SCHEMA
from .strategies import SQL_FIELDS, any_typed_tree, token_soup, typed_tree

# ~200 examples keeps the folder well under a minute; FORMULA_FUZZ_EXAMPLES=5000 for a long hunt.
EXAMPLES = int(os.environ.get("FORMULA_FUZZ_EXAMPLES", "200"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EMPTY: dict[str, Any] = {name: None for name in VALUES} | {"lines": []}


def _parse_and_check(source: str) -> None:
    # CPU time of this process, not wall time: a busy machine must not fail it, a parser that
    # blows up on some input still does.
    started = time.process_time()
    try:
        formula = parse(source)
        check(formula, SCHEMA)
    except FormulaError as e:
        assert e.message and e.line >= 1 and e.column >= 1 and 0 <= e.offset <= len(source)
    else:
        # Whatever checks must also run, for a full record and an empty one.
        compiled = compile_py(formula, SCHEMA, strict=True)
        compiled(EvalContext(VALUES, now=NOW))
        compiled(EvalContext(EMPTY, now=NOW))
    assert time.process_time() - started < 2.0


@FAST
@given(st.text(max_size=300))
def test_random_text_never_crashes_the_parser(source: str) -> None:
    _parse_and_check(source)


@FAST
@given(token_soup)
def test_token_soups_never_crash_the_parser_or_checker(source: str) -> None:
    _parse_and_check(source)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4000), st.sampled_from(["(", "-", "1+", "SUM(", "IF(TRUE,", "[", '"', "a."]))
def test_long_and_deep_inputs_fail_fast(n: int, piece: str) -> None:
    _parse_and_check((piece * n)[:4100])


def _evaluates(tree: Node, values: dict[str, Any]) -> Any:
    return compile_py(tree, SCHEMA, strict=True)(EvalContext(values, now=NOW))


KINDS = {"number": "number", "text": "text", "bool": "bool", "date": "date"}


@FAST
@given(st.sampled_from(list(KINDS)).flatmap(lambda k: st.tuples(st.just(k), typed_tree(k, 4))))
def test_well_typed_trees_check_and_evaluate(case: tuple[str, Node]) -> None:
    kind, tree = case
    assert check(tree, SCHEMA) in (Type.of(kind), Type("blank"))
    # CPU time of this process, not wall time: a busy machine must not fail it, a parser that
    # blows up on some input still does.
    started = time.process_time()
    _evaluates(tree, VALUES)
    _evaluates(tree, EMPTY)
    assert time.process_time() - started < 2.0


@FAST
@given(any_typed_tree)
def test_print_then_parse_round_trips(tree: Node) -> None:
    source = to_source(tree)
    assert parse(source).root == tree


sql_tree = st.sampled_from(["number", "text", "bool", "date"]).flatmap(
    lambda k: typed_tree(k, 4, sql_only=True, text_alphabet="abAB ë报-", fields=SQL_FIELDS)
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(tree=sql_tree)
def test_random_sql_formulas_agree_with_python(db: Db, tree: Node) -> None:
    table, column_for = db.column_for("typed")
    expr = compile_sql(tree, column_for, schema=SQL_SCHEMA, dialect=db.dialect, now=NOW)
    with db.engine.connect() as c:
        got = dict(c.execute(sa.select(table.c.id, expr).select_from(table)).all())
    run = compile_py(tree, SQL_SCHEMA, strict=True)
    for row in ROWS:
        want = run(EvalContext(row, now=NOW))
        assert same(want, got[row["id"]]), (to_source(tree), row, want, got[row["id"]])
