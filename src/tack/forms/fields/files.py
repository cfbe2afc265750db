"""Files family: attachments, images and a handwritten signature.

A value holds file ids (UUID text) from Tack's file store, where the bytes live with their
size, checksum and sniffed content type. The caller looks the ids up in one batch before
cleaning (`ValueContext.known_files`, and `file_types` with each file's sniffed type): an id
the store does not know for this organization is refused (`exists`), a file of a type the
field does not accept too (`accept`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from tack.forms.fields.base import (
    FieldType,
    IdListText,
    Invalid,
    NoSettings,
    ValueContext,
    a_list,
    dedupe,
    field_type,
    parse_uuid,
)
from tack.formula import TEXT, Type, list_of

LIMIT = 100  # files one field may hold, whatever its settings

# Families a designer may name in `accept` (the same names as the file store's upload limits).
_OFFICE = frozenset({
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
})  # fmt: skip
FAMILIES: dict[str, frozenset[str]] = {
    "images": frozenset({"image/*"}),
    "pdf": frozenset({"application/pdf"}),
    "office": _OFFICE,
    "text": frozenset({"text/plain", "text/markdown"}),
    "csv": frozenset({"text/csv", "text/tab-separated-values"}),
    "zip": frozenset({"application/zip"}),
}

Accept = Annotated[str, Meta(max_length=100, pattern=r"^([a-z]+|[a-z0-9.+\-]+/([a-z0-9.+\-]+|\*))$",
                             description="a family (images, pdf, office, text, csv, zip), a type or type/*")]


class AttachmentSettings(msgspec.Struct, forbid_unknown_fields=True):
    max_files: Annotated[int, Meta(ge=1, le=LIMIT)] | None = None
    accept: Annotated[list[Accept], Meta(min_length=1, max_length=50)] | None = None


class ImageSettings(msgspec.Struct, forbid_unknown_fields=True):
    max_files: Annotated[int, Meta(ge=1, le=LIMIT)] | None = None


def accepted_types(accept: list[str]) -> frozenset[str]:
    """The content types (and `type/*` prefixes) a list of families and types stands for."""
    out: set[str] = set()
    for a in accept:
        out |= FAMILIES.get(a, {a})
    return frozenset(out)


def accepts(types: frozenset[str], content_type: str) -> bool:
    return content_type in types or content_type.split("/", 1)[0] + "/*" in types


def _one_file(value: Any, vctx: ValueContext, types: frozenset[str] | None, at: str = "") -> str:
    ident: uuid.UUID = parse_uuid(value, "a file", at=at)
    if ident not in vctx.known_files:
        raise Invalid("There is no such file (upload it first).", "exists", at=at)
    content_type = vctx.file_types.get(ident)
    if types is not None and content_type is not None and not accepts(types, content_type):
        allowed = ", ".join(sorted(types))
        raise Invalid(f"Files of type {content_type} are not accepted here ({allowed}).", "accept", at=at)
    return str(ident)


class _Files(IdListText, FieldType):
    family = "files"

    def formula_type(self, settings: Any) -> Type:
        return list_of(TEXT)

    def types(self, s: Any) -> frozenset[str] | None:
        return None

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        items = a_list(value, "files", LIMIT)
        types = self.types(s)
        ids = dedupe([_one_file(v, vctx, types, at=f"[{i}]") for i, v in enumerate(items)])
        if s.max_files is not None and len(ids) > s.max_files:
            raise Invalid(f"Attach at most {s.max_files} files.", "max-items")
        return ids


@field_type
class Attachment(_Files):
    name = "attachment"
    query_kind = "presence"
    Settings = AttachmentSettings

    def check_settings(self, s: Any) -> None:
        for i, a in enumerate(s.accept or []):
            if "/" not in a and a not in FAMILIES:
                raise Invalid(f"Unknown kind of file {a!r}: use a content type such as application/pdf, "
                              f"or one of {', '.join(FAMILIES)}.", "accept", at=f".accept[{i}]")

    def types(self, s: Any) -> frozenset[str] | None:
        return accepted_types(s.accept) if s.accept else None


IMAGES = frozenset({"image/*"})


@field_type
class Image(_Files):
    name = "image"
    query_kind = "presence"
    Settings = ImageSettings

    def types(self, s: Any) -> frozenset[str] | None:
        return IMAGES


@field_type
class Signature(FieldType):
    """One image of a handwritten signature, drawn on the fill-in page and uploaded."""

    name = "signature"
    query_kind = "presence"
    family = "files"
    Settings: ClassVar[type[msgspec.Struct]] = NoSettings

    def formula_type(self, settings: Any) -> Type:
        return TEXT

    def clean(self, value: Any, s: Any, vctx: ValueContext) -> Any:
        return _one_file(value, vctx, IMAGES)

    def from_text(self, text: str, s: Any) -> Any:
        return text.strip()
