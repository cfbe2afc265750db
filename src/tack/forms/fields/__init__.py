"""The field type registry and its families, one module each. Importing this package registers
every built-in type; a plug-in adds a type by registering a `FieldType` subclass instance.

Families: text (text, textarea, email, phone, url), number (number, money, percent, rating),
choice (select, multiselect, checkbox), dates (date, datetime), people (member, members,
department, departments), files (attachment, image, signature), location, serial, system
(created_by, created_at, updated_by, updated_at) and computed (formula, section, description,
subtable) and links (link to records of another form, lookup of a field of the linked records,
roll-up over a link or a sub-table).
"""

# One import per family registers its types.
from tack.forms.fields import choice as _choice  # noqa: E402,F401
from tack.forms.fields import computed as _computed  # noqa: E402,F401
from tack.forms.fields import dates as _dates  # noqa: E402,F401
from tack.forms.fields import files as _files  # noqa: E402,F401
from tack.forms.fields import links as _links  # noqa: E402,F401
from tack.forms.fields import location as _location  # noqa: E402,F401
from tack.forms.fields import number as _number  # noqa: E402,F401
from tack.forms.fields import people as _people  # noqa: E402,F401
from tack.forms.fields import serial as _serial  # noqa: E402,F401
from tack.forms.fields import system as _system  # noqa: E402,F401
from tack.forms.fields import text as _text  # noqa: E402,F401
from tack.forms.fields.base import FIELD_TYPES, FieldType, Invalid, ValueContext, field_type

__all__ = ["FIELD_TYPES", "FieldType", "Invalid", "ValueContext", "field_type"]
