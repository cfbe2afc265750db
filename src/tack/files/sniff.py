"""What a file is, told from its bytes, not from what the client says.

A browser's `Content-Type` for an upload comes from the file name's extension (or from whatever a
script chose to send), so it is kept as `declared_type` for reference only. The type Tack stores,
checks against the allowed list and serves with is sniffed: magic numbers for images, PDF, ZIP
and the Office formats inside ZIP (told apart by the names in the archive's directory), and the
WHATWG rule for text ("no binary data bytes"). The declared type and the file name's extension
only choose among the types the bytes allow (a text file may be CSV or Markdown; an OLE2
container may be a legacy Word, Excel or PowerPoint file), never beyond them.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
BMP, TIFF, AVIF, HEIC = "image/bmp", "image/tiff", "image/avif", "image/heic"
PDF, ZIP, OCTET = "application/pdf", "application/zip", "application/octet-stream"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT, ODS, ODP = ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
                 "application/vnd.oasis.opendocument.presentation")
DOC, XLS, PPT = "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"
OLE = "application/x-ole-storage"
TEXT, CSV, TSV, MARKDOWN = "text/plain", "text/csv", "text/tab-separated-values", "text/markdown"

IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP, BMP, TIFF, AVIF, HEIC})
ZIP_TYPES = frozenset({ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP})
TEXT_TYPES = frozenset({TEXT, CSV, TSV, MARKDOWN})

# Families an operator can allow by name in TACK_UPLOAD_TYPES (docs/operations.md).
FAMILIES: dict[str, frozenset[str]] = {
    "images": IMAGE_TYPES,
    "pdf": frozenset({PDF}),
    "office": frozenset({DOCX, XLSX, PPTX, ODT, ODS, ODP, DOC, XLS, PPT}),
    "text": frozenset({TEXT, MARKDOWN}),
    "csv": frozenset({CSV, TSV}),
    "zip": frozenset({ZIP}),
}

# Shown in the browser rather than downloaded: images browsers render, and PDF. Everything else
# (text included: an HTML or SVG file is sniffed as text) is served as an attachment.
INLINE_TYPES = frozenset({PNG, JPEG, GIF, WEBP, BMP, AVIF, PDF})

_TEXT_BY_EXTENSION = {"csv": CSV, "tsv": TSV, "tab": TSV, "md": MARKDOWN, "markdown": MARKDOWN, "txt": TEXT}
_OLE_BY_EXTENSION = {"doc": DOC, "dot": DOC, "xls": XLS, "xlt": XLS, "ppt": PPT, "pps": PPT}
_ODF = frozenset({ODT, ODS, ODP})
# WHATWG MIME Sniffing: a "binary data byte" never appears in text.
_BINARY_BYTE = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
HEAD_SIZE = 4096


def normalize_type(value: str | None) -> str | None:
    """`Text/CSV; charset=utf-8` -> `text/csv`; None for nothing or nonsense."""
    if not value:
        return None
    base = value.split(";", 1)[0].strip().lower()
    return base if re.fullmatch(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9*][a-z0-9!#$&^_.+*-]*", base) else None


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _magic(head: bytes) -> str | None:
    """The type a file's first bytes prove, `ZIP` or `OLE` for containers, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[4:8] == b"ftyp":
        brands = head[8:12] + head[16:40]
        if b"avif" in brands or b"avis" in brands:
            return AVIF
        if head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return HEIC
    # "BM" alone is too weak (a CSV may start "BMW,"): the reserved words are zero and the
    # DIB header has one of its known sizes.
    if (head[:2] == b"BM" and len(head) >= 18 and head[6:10] == b"\0\0\0\0"
            and int.from_bytes(head[14:18], "little") in (12, 40, 52, 56, 64, 108, 124)):
        return BMP
    return None


def zip_type(path: Path) -> str:
    """Which ZIP-based format a staged file is, from its central directory (read from the end
    of the file: cheap whatever its size)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "mimetype" in names:
                with z.open("mimetype") as f:
                    declared = f.read(100).decode("ascii", "replace").strip()
                if declared in _ODF:
                    return declared
            if "[Content_Types].xml" in names:
                for prefix, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                    if any(n.startswith(prefix) for n in names):
                        return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, EOFError,
            NotImplementedError, RuntimeError):
        pass  # a damaged or encrypted archive is still a ZIP by its magic number
    return ZIP


class Sniffer:
    """Fed an upload's bytes as they stream in; says what the file may be as soon as its head is
    known (to refuse a forbidden type without reading the rest) and what it is at the end."""

    def __init__(self, declared_type: str | None, filename: str) -> None:
        self.declared = normalize_type(declared_type)
        self.ext = extension(filename)
        self._head = bytearray()
        self._binary = False

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < HEAD_SIZE:
            self._head += chunk[: HEAD_SIZE - len(self._head)]
        if not self._binary and _BINARY_BYTE.search(chunk):
            self._binary = True

    @property
    def head_known(self) -> bool:
        return len(self._head) >= HEAD_SIZE

    def _text_type(self) -> str:
        if self.declared in TEXT_TYPES:
            return self.declared
        return _TEXT_BY_EXTENSION.get(self.ext, TEXT)

    def _ole_type(self) -> str:
        if self.declared in (DOC, XLS, PPT):
            return self.declared
        return _OLE_BY_EXTENSION.get(self.ext, OLE)

    def possible(self) -> frozenset[str]:
        """Every type the file may turn out to be, given the bytes so far."""
        head = bytes(self._head)
        found = _magic(head)
        if found == ZIP:
            return ZIP_TYPES
        if found == OLE:
            return frozenset({self._ole_type()})
        if found is not None:
            return frozenset({found})
        if head.startswith(_BOMS[1:]):  # UTF-16 text carries NUL bytes: its BOM says it is text
            return frozenset({self._text_type()})
        if self._binary:
            return frozenset({OCTET})
        return frozenset({self._text_type(), OCTET})

    def result(self, staged: Path) -> str:
        """The type, once every byte was fed (`staged` holds them, for a look into a ZIP)."""
        head = bytes(self._head)
        found = _magic(head)
        if found == ZIP:
            return zip_type(staged)
        if found == OLE:
            return self._ole_type()
        if found is not None:
            return found
        if head.startswith(_BOMS[1:]) or not self._binary:
            return self._text_type()
        return OCTET


@dataclass(frozen=True)
class AllowedTypes:
    """The upload types an operator allows: exact types, `type/*` wildcards, or everything."""

    exact: frozenset[str]
    prefixes: tuple[str, ...] = ()
    everything: bool = False

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowedTypes:
        exact: set[str] = set()
        prefixes: list[str] = []
        everything = False
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry in ("*", "*/*"):
                everything = True
            elif entry in FAMILIES:
                exact |= FAMILIES[entry]
            elif entry.endswith("/*") and normalize_type(entry[:-2] + "/x"):
                prefixes.append(entry[:-1])
            elif normalize_type(entry) == entry:
                exact.add(entry)
            else:
                raise ValueError(f"TACK_UPLOAD_TYPES: {raw!r} is neither a content type (image/png, image/*) "
                                 f"nor a family ({', '.join(FAMILIES)})")
        return cls(frozenset(exact), tuple(prefixes), everything)

    def allows(self, content_type: str) -> bool:
        return self.everything or content_type in self.exact or content_type.startswith(self.prefixes)
