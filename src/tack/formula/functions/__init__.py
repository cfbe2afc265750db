"""The formula functions: one module per family, each function a registered `FunctionSpec`.

Importing this package registers every built-in family. A new function is one decorated
Python body (plus, optionally, its SQL form) in its family's module; nothing else changes.
"""

from __future__ import annotations

from tack.formula.functions import dates, lists, logic, maths, text  # noqa: F401 - registers them
from tack.formula.functions.base import FUNCTIONS, ArgError, FunctionSpec, Param

__all__ = ["FUNCTIONS", "ArgError", "FunctionSpec", "Param"]
