"""Choice family: single select and multi select (options with stable ids and colours), checkbox.

A select stores the *option id*, never the label: renaming an option ("Annual" → "Annual
leave") touches no record. People and programs may send either the id or the label (matched
ignoring case, width and extra spaces); formulas see the label, since that is what people
write in them (`IF(type = "Sick", ...)`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from tack.forms.fields.base import FieldType, Invalid, ValueContext, a_list, field_type
from tack.formula import BOOL, TEXT, Type, list_of

COLORS = ("gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink")
MAX_OPTIONS = 1000


class Option(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_\-]{1,40}$", description="Stable; records store it")]
    label: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    color: Annotated[str, Meta(pattern=r"^(#[0-9A-Fa-f]{6}|" + "|".join(COLORS) + ")$")] | None = None


class SelectSettings(msgspec.Struct, forbid_unknown_fields=True):
    options: Annotated[list[Option], Meta(min_length=1, max_length=MAX_OPTIONS)]


class MultiSelectSettings(SelectSettings, forbid_unknown_fields=True):
    max_selections: Annotated[int, Meta(ge=1, le=MAX_OPTIONS)] | None = None


def label_key(text: str) -> str:
    """How labels are matched: Unicode-normalized (full-width Ａ is A), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


class _Options:
    """A select's options indexed by id and by label key, in the designer's order."""

    def __init__(self, options: list[Option]) -> None:
        self.order = {o.id: i for i, o in enumerate(options)}
        self.by_id = {o.id: o for o in options}
        self.by_label = {label_key(o.label): o for o in reversed(options)}  # the first wins
        self.labels = [o.label for o in options]

    def resolve(self, value: Any, *, at: str = "") -> str:
        if not isinstance(value, str):
            raise Invalid("Expected one of the options (its id or its label).", "type", at=at)
        if value.strip() in self.by_id:
            return value.strip()
        option = self.by_label.get(label_key(value)) if len(value) <= 1000 else None
        if option is None:
            shown = ", ".join(self.labels[:10]) + (", ..." if len(self.labels) > 10 else "")
            text = value if len(value) <= 40 else value[:40] + "..."
            raise Invalid(f"{text!r} is not one of the options ({shown}).", "option", at=at)
        return option.id

    def label(self, option_id: Any) -> Any:
        option = self.by_id.get(option_id) if isinstance(option_id, str) else None
        return option.label if option is not None else option_id  # a deleted option shows its id


def _check_options(options: list[Option]) -> None:
    ids: set[str] = set()
    labels: set[str] = set()
    every_id = {o.id for o in options}
    for i, o in enumerate(options):
        if o.label.strip() in every_id and o.label.strip() != o.id:
            # "o2" sent would mean the option with that id, never this one: ambiguous.
            raise Invalid(f"The label {o.label!r} is another option's id.", "unique", at=f".options[{i}].label")
        if o.id in ids:
            raise Invalid(f"Another option already has the id {o.id!r}.", "unique", at=f".options[{i}].id")
        key = label_key(o.label)
        if key in labels:
            raise Invalid(f"Another option is already labelled {o.label!r}.", "unique", at=f".options[{i}].label")
        ids.add(o.id)
        labels.add(key)


@field_type
class Select(FieldType):
    name = "select"
    query_kind = "select"
    family = "choice"
    Settings = SelectSettings

    def check_settings(self, s: Any) -> None:
        _check_options(s.options)

    def formula_type(self, settings: Any) -> Type:
        return TEXT

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        return _Options(s.options).resolve(value)

    def formula_value(self, value: Any, s: Any) -> Any:
        return _Options(s.options).label(value)

    def to_text(self, value: Any, s: Any) -> str:
        return "" if value is None else str(_Options(s.options).label(value))

    def from_text(self, text: str, s: Any) -> Any:
        return text.strip()


@field_type
class MultiSelect(FieldType):
    """A list of option ids, each once, in the options' order (so equal choices store equally)."""

    name = "multiselect"
    query_kind = "multiselect"
    family = "choice"
    Settings = MultiSelectSettings

    def check_settings(self, s: Any) -> None:
        _check_options(s.options)

    def formula_type(self, settings: Any) -> Type:
        return list_of(TEXT)

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        items = a_list(value, "options", MAX_OPTIONS)
        options = _Options(s.options)
        chosen = {options.resolve(v, at=f"[{i}]") for i, v in enumerate(items)}
        if s.max_selections is not None and len(chosen) > s.max_selections:
            raise Invalid(f"Choose at most {s.max_selections}.", "max-items")
        return sorted(chosen, key=options.order.__getitem__)

    def formula_value(self, value: Any, s: Any) -> Any:
        if not isinstance(value, list):
            return value
        options = _Options(s.options)
        return [options.label(v) for v in value]

    def to_text(self, value: Any, s: Any) -> str:
        if not isinstance(value, list):
            return "" if value is None else str(value)
        options = _Options(s.options)
        return ", ".join(str(options.label(v)) for v in value)

    def from_text(self, text: str, s: Any) -> Any:
        return _split_labels(text, _Options(s.options))


_SEPARATOR = re.compile(r"[,;，；、\n]")
# Beyond these a cell is split plainly (labels with commas are rare; the merge is quadratic).
_MERGE_PIECES, _MERGE_CHARS = 200, 20_000


def _split_labels(text: str, options: _Options) -> list[str]:
    """Split an imported cell into options. A label may itself hold a comma ("Travel, local"):
    at each piece the longest run of pieces that spells an option (id or label) is taken whole."""
    bounds = [0]
    for m in _SEPARATOR.finditer(text):
        bounds += [m.start(), m.end()]
    bounds.append(len(text))
    pieces = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        taken = 1
        if len(pieces) <= _MERGE_PIECES and len(text) <= _MERGE_CHARS:
            for j in range(len(pieces), i + 1, -1):
                candidate = text[pieces[i][0] : pieces[j - 1][1]].strip()
                if candidate in options.by_id or label_key(candidate) in options.by_label:
                    taken = j - i
                    break
        piece = text[pieces[i][0] : pieces[i + taken - 1][1]].strip()
        if piece:
            out.append(piece)
        i += taken
    return out


_TRUE = frozenset({"true", "yes", "y", "1", "✓", "✔", "☑", "是", "on", "checked", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "✗", "✘", "☐", "否", "off", "unchecked"})


@field_type
class Checkbox(FieldType):
    """True or false. Unticked is blank: it is not stored, and a *required* checkbox must be
    ticked (the way "I accept the terms" works)."""

    name = "checkbox"
    query_kind = "checkbox"
    family = "choice"

    def formula_type(self, settings: Any) -> Type:
        return BOOL

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        if not isinstance(value, bool):
            raise Invalid("Expected true or false.", "type")
        return value

    def is_blank(self, value: Any) -> bool:
        return value is None or value is False or value == ""

    def to_text(self, value: Any, s: Any) -> str:
        return "true" if value is True else "false"

    def from_text(self, text: str, s: Any) -> Any:
        word = text.strip().casefold()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        return text.strip()  # blank, or refused by clean
