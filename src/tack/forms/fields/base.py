"""The field type plug-in interface.

A field type knows, for one kind of value: its settings, the formula type it has, how to
clean what a person or program sends (validate + normalize to the JSON that is stored), how to
show a stored value as text (display and CSV/XLSX export) and how to read one back from text
(import). The query compiler will add, per type, the SQL expression of a stored value and the
filter operators it supports. Adding a field type touches one module: its family's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from tack.core.registry import Registry
from tack.formula import ANY, Type


class Invalid(Exception):
    """A value a field refuses: `message` for people, `rule` stable for programs."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    pass


@dataclass
class ValueContext:
    """What cleaning a value may need to know besides the value: the organization's time zone
    and clock, and lookups the directory answers (do these members exist?) done in batches by
    the caller before cleaning, so a type never queries the database itself."""

    now: dt.datetime
    time_zone: str = "UTC"
    known_members: set[uuid.UUID] = field(default_factory=set)
    known_departments: set[uuid.UUID] = field(default_factory=set)
    known_files: set[uuid.UUID] = field(default_factory=set)


class FieldType:
    name: ClassVar[str]
    family: ClassVar[str]
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings
    stores_value: ClassVar[bool] = True  # False for layout (section, description)
    computed: ClassVar[bool] = False  # True when Tack sets the value, never the person

    def settings_of(self, raw: dict[str, Any]) -> Any:
        """The field's settings as this type's Settings struct (raises msgspec.ValidationError)."""
        return msgspec.convert(raw, self.Settings)

    def check_settings(self, settings: Any) -> None:
        """Rules across settings (minimum ≤ maximum, ...): raise Invalid naming the rule."""

    def formula_type(self, settings: Any) -> Type:
        return ANY

    def clean(self, value: Any, settings: Any, vctx: ValueContext) -> Any:
        """The stored form of `value` (never None: blanks are handled before), or raise Invalid."""
        raise NotImplementedError

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
