"""The formula functions: one module per family, each function a registered `FunctionSpec`.

Importing this package registers every built-in family. A new function is one decorated
Python body (plus, optionally, its SQL form) in its family's module; nothing else changes.
"""

from __future__ import annotations

from tack.formula.functions import dates, lists, logic, maths, text  # noqa: F401 - registers them
from tack.formula.functions.base import FUNCTIONS, ArgError, FunctionSpec, Param
from tack.formula.types import SQL_SCALARS, Type

__all__ = ["FUNCTIONS", "ArgError", "FunctionSpec", "Param", "catalog"]


def catalog() -> list[dict[str, object]]:
    """Every function as the formula editor's function picker shows it (served by the API)."""
    return [
        {
            "name": spec.name,
            "family": spec.family,
            "signature": spec.signature,
            "summary": spec.summary,
            # With an SQL form, or nothing to read (TODAY() becomes a parameter); any function
            # whose arguments are all constants is worked out before the query, too.
            "in_filters": spec.sql is not None
            or (not spec.params and isinstance(spec.returns, Type) and spec.returns in SQL_SCALARS),
        }
        for _, spec in sorted(FUNCTIONS.items())
    ]
