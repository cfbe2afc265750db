"""Which fields a formula reads, and in what order a form's computed fields are worked out.

When a record changes, only the computed fields downstream of the change are recomputed, each
after the fields it reads. A circular set of formulas ([Total] reads [Tax], [Tax] reads
[Total]) is refused when the form is saved, naming the whole circle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from tack.formula.ast import Formula, Node, Ref, refs
from tack.formula.checker import as_formula
from tack.formula.errors import FormulaError


def dependencies(formula: str | Formula | Node) -> set[str]:
    """The fields a formula reads. A sub-table column (`lines.amount`) reads the sub-table
    (`lines`): any change to its rows may change the result."""
    f = as_formula(formula)
    return {r.name for r in refs(f.root)}


class DependencyGraph:
    """The computed fields of one form: `{field name: formula}`.

    Raises `FormulaError` (kind "cycle", with `.field` set) when formulas depend on each other
    in a circle, and whatever `parse` raises (with `.field` set) for a formula that does not parse.
    """

    def __init__(self, formulas: Mapping[str, str | Formula]) -> None:
        self.formulas: dict[str, Formula] = {}
        for name, source in formulas.items():
            try:
                self.formulas[name] = as_formula(source)
            except FormulaError as e:
                e.field = name
                raise
        # Each computed field's inputs, in the order the formula mentions them (stable output).
        self.inputs: dict[str, list[str]] = {
            name: list(dict.fromkeys(r.name for r in refs(f.root))) for name, f in self.formulas.items()
        }
        self.readers: dict[str, list[str]] = {}
        for name, inputs in self.inputs.items():
            for i in inputs:
                self.readers.setdefault(i, []).append(name)
        self._order = self._topological()

    def order(self) -> list[str]:
        """Every computed field, each after the computed fields it reads."""
        return list(self._order)

    def affected_by(self, *changed: str) -> list[str]:
        """The computed fields to recompute when these fields change, in recomputation order."""
        seen: set[str] = set()
        stack = list(changed)
        while stack:
            for reader in self.readers.get(stack.pop(), ()):
                if reader not in seen:
                    seen.add(reader)
                    stack.append(reader)
        return [name for name in self._order if name in seen]

    def reads(self, name: str) -> list[str]:
        return list(self.inputs.get(name, ()))

    def _topological(self) -> list[str]:
        # Depth-first, iterative (a form may have hundreds of fields): a field is placed after
        # everything it reads; meeting a field that is still "in progress" means a circle.
        done: set[str] = set()
        order: list[str] = []
        for start in self.formulas:
            if start in done:
                continue
            path: list[str] = [start]
            on_path = {start}
            pending: list[Iterator[str]] = [iter(self._computed_inputs(start))]
            while pending:
                nxt = next(pending[-1], None)
                if nxt is None:
                    pending.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    order.append(finished)
                elif nxt in on_path:
                    raise self._cycle(path[path.index(nxt) :] + [nxt])
                elif nxt not in done:
                    path.append(nxt)
                    on_path.add(nxt)
                    pending.append(iter(self._computed_inputs(nxt)))
        return order

    def _computed_inputs(self, name: str) -> list[str]:
        return [i for i in self.inputs[name] if i in self.formulas]

    def _cycle(self, circle: list[str]) -> FormulaError:
        first, second = circle[0], circle[1]
        span = next(r.span for r in refs(self.formulas[first].root) if isinstance(r, Ref) and r.name == second)
        error = FormulaError("Circular formula: " + " → ".join(f"[{n}]" for n in circle), span, kind="cycle")
        error.field = first
        error.cycle = tuple(circle)
        return error
