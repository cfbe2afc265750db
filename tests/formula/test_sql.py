"""SQL compilation, executed for real on SQLite and PostgreSQL: for every formula with an SQL
form, the database must compute what the Python compiler computes, row by row (an error value
in Python is NULL in SQL)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tack.formula import EvalContext, FormulaError, NotSqlCompatible, compile_py, compile_sql

from .conftest import NOW
from .sqlsupport import ROWS, SCHEMA, Db, same

SQL_FORMULAS = [
    "amount",
    "name",
    "start",
    "ok",
    "amount > 100",
    "amount + qty * 2 - 1",
    "amount / qty",
    "-amount",
    "qty%",
    "amount * 10%",
    "amount ^ 2",
    "qty ^ 3 + 1",
    'IF(amount > 100, "director", "manager")',
    "IF(ok, amount)",
    "IF(ok, start, end)",
    "IF(amount > 0, amount / qty, 0)",
    'IFS(amount > 100, "high", amount > 0, "low")',
    'IFS(amount > 100, "high", amount > 0, "low", TRUE, "none")',
    "AND(ok, amount > 0)",
    "OR(ok, qty = 0, name = \"bob\")",
    "NOT(ok)",
    "AND(qty <> 0, amount / qty > 10)",
    "OR(amount / qty > 10, ok)",
    "ISBLANK(amount)",
    "ISBLANK(name)",
    "ISBLANK(start)",
    "ISBLANK(ok)",
    "ISBLANK(amount + 1)",
    "amount = BLANK()",
    "start = BLANK()",
    "ROUND(amount, 1)",
    "ROUND(amount)",
    "ROUND(amount, -1)",
    "ROUND(amount / 3, 2)",
    "ABS(amount)",
    "MOD(amount, 3)",
    "MOD(qty, -2.5)",
    "MOD(amount, qty)",
    "INT(amount)",
    "SUM(amount, qty, 1)",
    "LEFT(name, 3)",
    "LEFT(name)",
    "LEFT(name, qty)",
    "RIGHT(name, 2)",
    "RIGHT(name, qty)",
    "MID(name, 2, 3)",
    "MID(name, qty, 2)",
    "LEN(name)",
    "LEN(TRIM(name))",
    "UPPER(name)",
    "LOWER(name)",
    "TRIM(name)",
    'CONTAINS(name, "an")',
    'CONTAINS(name, "")',
    'name & "!"',
    'CONCATENATE(name, " / ", UPPER(name))',
    'CONCATENATE("n=", name)',
    '"x" & 1',
    'name = "BOB"',
    'name <> "bob"',
    'name < "m"',
    'name >= "b"',
    'TRIM(name) = "ann lee"',
    "YEAR(start)",
    "MONTH(start)",
    "DAY(end)",
    "YEAR(start) * 100 + MONTH(start)",
    "DATEADD(start, 30)",
    'DATEADD(start, -2, "W")',
    "DATEADD(start, qty)",
    "start + 7",
    "7 + start",
    "start - qty",
    "end - start",
    'DATEDIF(start, end, "D")',
    "start < TODAY()",
    "start >= TODAY() - 30",
    "end > DATE(2024, 2, 28)",
    "start = end",
    "TODAY() - start",
    'TEXT(TODAY(), "yyyy") = "2026"',  # no SQL form for TEXT, but a constant: computed in Python
    "DATE(2026, 1, 1) + 1",
    "1 / 0",
    'name & (1 / 0)',
    "ROUND(1 / 0, 2) + amount",
    "ok = TRUE",
    "ok <> FALSE",
]


@pytest.mark.parametrize("layout", ["typed", "json"])
@pytest.mark.parametrize("source", SQL_FORMULAS)
def test_database_computes_what_python_computes(db: Db, layout: str, source: str) -> None:
    table, column_for = db.column_for(layout)
    expr = compile_sql(source, column_for, schema=SCHEMA, dialect=db.dialect, now=NOW)
    with db.engine.connect() as c:
        got = dict(c.execute(sa.select(table.c.id, expr).select_from(table)).all())
    run = compile_py(source, SCHEMA, strict=True)
    for row in ROWS:
        want = run(EvalContext(row, now=NOW))
        assert same(want, got[row["id"]]), (source, row, want, got[row["id"]])


@pytest.mark.parametrize(
    "source",
    [
        "amount > 100",
        "AND(ok, amount > 0)",
        'OR(CONTAINS(name, "an"), amount / qty > 10)',
        "NOT(amount / qty > 1)",
        "ISBLANK(name)",
        "ok",
        'IF(amount > 100, name = "bob", TRUE)',
        "start >= TODAY() - 365",
    ],
)
def test_filters_select_the_rows_python_selects(db: Db, source: str) -> None:
    table, column_for = db.column_for("json")
    where = compile_sql(source, column_for, schema=SCHEMA, dialect=db.dialect, now=NOW)
    with db.engine.connect() as c:
        ids = set(c.execute(sa.select(table.c.id).where(where)).scalars())
    run = compile_py(source, SCHEMA)
    # An error is NULL in SQL, which a filter treats as "does not match".
    assert ids == {r["id"] for r in ROWS if run(EvalContext(r, now=NOW)) is True}


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("NETWORKDAYS(start, end)", "NETWORKDAYS cannot run in a filter", 1),
        ("1 + WORKDAY(start, qty) - start", "WORKDAY cannot run in a filter", 5),
        ("SUM(lines.amount)", "The sub-table [lines] cannot be used in a filter", 5),
        ("submitted > start", "[submitted] (a date and time) cannot be used in a filter", 1),
        ('owner = "m-1"', "[owner] (a member) cannot be used in a filter", 1),
        ('amount & "x"', "turning a number into text cannot run in a filter", 1),
        ("amount ^ qty", "'^' cannot run in a filter except with a whole power from 1 to 8", 1),
        ("ROUND(amount, qty)", "ROUND with a number of digits that is not a constant cannot run in a filter", 1),
        ('DATEADD(start, 1, "M")', "DATEADD cannot run in a filter except by days or weeks on a date", 1),
        ('DATEDIF(start, end, "M")', 'DATEDIF cannot run in a filter except in whole days ("D") between dates', 1),
        ('CONCATENATE(name, TEXT(amount, "0.0"))', "TEXT cannot run in a filter", 19),
    ],
)
def test_formulas_without_an_sql_form_say_so(source: str, message: str, column: int) -> None:
    with pytest.raises(NotSqlCompatible) as e:
        compile_sql(source, lambda n, t: sa.column(n), schema=SCHEMA, dialect="sqlite", now=NOW)
    assert e.value.message == message
    assert e.value.kind == "unsupported" and e.value.column == column
    assert isinstance(e.value, FormulaError)  # callers may catch either


def test_bad_formulas_are_type_errors_not_unsupported() -> None:
    with pytest.raises(FormulaError) as e:
        compile_sql("nope > 1", lambda n, t: sa.column(n), schema=SCHEMA, dialect="sqlite")
    assert e.value.kind == "type"


def test_only_two_dialects() -> None:
    with pytest.raises(ValueError):
        compile_sql("1", lambda n, t: sa.column(n), schema=SCHEMA, dialect="mysql")


def test_today_is_a_bound_parameter_from_the_injected_clock() -> None:
    expr = compile_sql("start < TODAY()", lambda n, t: sa.column(n), schema=SCHEMA, dialect="postgresql", now=NOW)
    compiled = expr.compile(dialect=postgresql.dialect())
    assert dt.date(2026, 1, 5) in compiled.params.values()
    assert "now()" not in str(compiled).lower() and "current_date" not in str(compiled).lower()


def test_runs_on_a_bare_sqlite_connection_too() -> None:
    # Without register_sqlite_functions, formulas still run (only non-ASCII case folding and a
    # few near-tie roundings may differ from Python).
    engine = sa.create_engine("sqlite://")
    table = sa.table("t", sa.column("amount"), sa.column("name"), sa.column("start"))
    with engine.connect() as c:
        c.exec_driver_sql("CREATE TABLE t (amount REAL, name TEXT, start TEXT)")
        c.exec_driver_sql("INSERT INTO t VALUES (2.675, '  Ann  Lee ', '2024-02-29'), (NULL, NULL, NULL)")
        expr = compile_sql('IF(ROUND(amount, 2) > 2, UPPER(TRIM(name)) & "!", "-")',
                           lambda n, t: table.c[n], schema=SCHEMA, dialect="sqlite", now=NOW)
        assert [r[0] for r in c.execute(sa.select(expr).select_from(table))] == ["ANN LEE!", "-"]
        expr = compile_sql("DATEADD(start, 366)", lambda n, t: table.c[n], schema=SCHEMA, dialect="sqlite")
        assert [r[0] for r in c.execute(sa.select(expr).select_from(table))] == [dt.date(2025, 3, 1), None]
