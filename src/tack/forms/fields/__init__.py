"""The field type registry and its families, one module each. Importing this package registers
every built-in type; a plug-in adds a type by registering a `FieldType` subclass instance."""

# One import per family registers its types.
from tack.forms.fields import computed as _computed  # noqa: E402,F401
from tack.forms.fields import number as _number  # noqa: E402,F401
from tack.forms.fields import text as _text  # noqa: E402,F401
from tack.forms.fields.base import FIELD_TYPES, FieldType, Invalid, ValueContext, field_type

__all__ = ["FIELD_TYPES", "FieldType", "Invalid", "ValueContext", "field_type"]
