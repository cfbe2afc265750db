"""The field type plug-in interface.

A field type knows, for one kind of value: its settings, the formula type it has, how to
clean what a person or program sends (validate + normalize to the JSON that is stored), how to
show a stored value as text (display and CSV/XLSX export) and how to read one back from text
(import). The query compiler will add, per type, the SQL expression of a stored value and the
filter operators it supports. Adding a field type touches one module: its family's.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from tack.core.registry import Registry
from tack.formula import ANY, Type


class Invalid(Exception):
    """A value a field refuses: `message` for people, `rule` stable for programs.

    `at` points inside the value (or the settings) when the problem is one part of it:
    `"[2]"` for the third item of a list, `".max"` for a setting. It is appended to the path
    of the field, so the error lands at `$.data.tags[2]` or `$.fields[4].settings.max`."""

    def __init__(self, message: str, rule: str, *, at: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.at = at


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    pass


@dataclass
class ValueContext:
    """What cleaning a value may need to know besides the value: the organization's time zone
    and clock, and lookups the directory and the file store answer (do these members exist?)
    done in batches by the caller before cleaning, so a type never queries the database itself."""

    now: dt.datetime
    time_zone: str = "UTC"
    known_members: set[uuid.UUID] = field(default_factory=set)
    known_departments: set[uuid.UUID] = field(default_factory=set)
    known_files: set[uuid.UUID] = field(default_factory=set)
    # The sniffed content type of known files, from the same batch lookup: attachment fields
    # with `accept`, and image fields, check it for every file it names.
    file_types: dict[uuid.UUID, str] = field(default_factory=dict)
    # Records that link fields name, from one batch lookup (tack.records.links): record id ->
    # its form id, for the live ones (and for those a stored link already named, which may
    # since have been deleted); and the data of the live ones, which lookups and roll-ups read.
    known_records: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    linked_data: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


class FieldType:
    name: ClassVar[str]
    family: ClassVar[str]
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings
    stores_value: ClassVar[bool] = True  # False for layout (section, description)
    computed: ClassVar[bool] = False  # True when Tack sets the value, never the person
    # How views filter and sort the stored value: the name of a value kind in
    # tack.records.query.kinds (text, number, date, select, member, ...), which holds the SQL
    # and the operators. None: not filterable. A formula's kind follows its result type.
    query_kind: ClassVar[str | None] = None
    # True for computed fields that are not formulas (lookups, roll-ups): `derive` gives their
    # value when the record is cleaned, after its sub-tables' formula columns, before its formulas.
    derived: ClassVar[bool] = False

    def settings_of(self, raw: dict[str, Any]) -> Any:
        """The field's settings as this type's Settings struct (raises msgspec.ValidationError)."""
        return msgspec.convert(raw, self.Settings)

    def check_settings(self, settings: Any) -> None:
        """Rules across settings (minimum ≤ maximum, ...): raise Invalid naming the rule."""

    def formula_type(self, settings: Any) -> Type:
        return ANY

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        """The stored form of `value` (never None: blanks are handled before), or raise Invalid.
        A type that holds no value (layout) refuses every value."""
        raise Invalid("This field holds no value.", "read-only")

    def from_formula(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        """The stored form of a formula's result (a default, or a computed field's value),
        already made JSON-shaped (dates as ISO text); raise Invalid when it does not fit."""
        return self.clean(value, settings, vctx)

    def derive(self, values: Mapping[str, Any], settings: Any, vctx: ValueContext) -> Any:
        """A derived field's stored value, from the record's values by field id (a sub-table's
        rows as lists of cells by column id) and what `vctx` fetched (the linked records)."""
        return None

    def formula_value(self, value: Any, settings: Any) -> Any:
        """A stored value as formulas see it: what people see and type (a select's label, not
        its option id). Formulas read it through their field's formula type."""
        return value

    def to_text(self, value: Any, settings: Any) -> str:
        return "" if value is None else str(value)

    def from_text(self, text: str, settings: Any) -> Any:
        """Parse an imported cell; `clean` runs on the result afterwards."""
        return text

    def is_blank(self, value: Any) -> bool:
        return value is None or value == "" or value == []


FIELD_TYPES: Registry[FieldType] = Registry("field type")


def field_type(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator: register one instance of the field type under its name."""
    FIELD_TYPES.register(cls.name, cls())
    return cls


# ---- helpers the families share ------------------------------------------------------------------

# C0 controls (but tab, line feed, carriage return) and DEL: invisible, and PostgreSQL's jsonb
# refuses NUL outright. Pasted text carries them by accident; they are dropped.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def plain_text(value: str) -> str:
    """Text safe to store: control characters dropped; lone surrogates (which no UTF-8 store
    accepts) refused."""
    if _SURROGATE.search(value):
        raise Invalid("The text contains characters that are not valid Unicode.", "characters")
    return _CONTROLS.sub("", value)


def parse_uuid(value: Any, what: str, *, at: str = "") -> uuid.UUID:
    """An id sent as text (any of the spellings `uuid.UUID` reads), or Invalid with rule `type`."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise Invalid(f"Expected {what} id.", "type", at=at)


def a_list(value: Any, what: str, limit: int) -> list[Any]:
    """`value` as a list of at most `limit` items (checked before any item is looked at, so a
    huge list costs nothing)."""
    if not isinstance(value, list):
        raise Invalid(f"Expected a list of {what}.", "type")
    if len(value) > limit:
        raise Invalid(f"Choose at most {limit} {what}.", "max-items")
    return value


def dedupe(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def split_list(text: str) -> list[str]:
    """An imported cell holding several values: split on commas, semicolons (ASCII or
    full-width) and line breaks."""
    return [p for p in (s.strip() for s in re.split(r"[,;，；、\n]", text)) if p]


class IdListText:
    """Text export and import of a list of ids (members, departments, files): comma-separated.
    An importer that maps names, emails or file names to ids does it in one lookup before
    `clean`, as the caller of `clean` does for the directory."""

    def to_text(self, value: Any, s: Any) -> str:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)

    def from_text(self, text: str, s: Any) -> Any:
        return split_list(text)
