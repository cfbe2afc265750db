"""Real small files of each kind, made here byte by byte (no fixtures on disk)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    """A valid truecolour PNG, every pixel `rgb`."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw))
            + _chunk(b"IEND", b""))


def pdf(text: str = "hello") -> bytes:
    body = f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET".encode()
    return (b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
            b"3 0 obj <</Type/Page/Parent 2 0 R/Contents 4 0 R>> endobj\n"
            + f"4 0 obj <</Length {len(body)}>> stream\n".encode() + body + b"\nendstream endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")


def zip_of(entries: dict[str, bytes], *, first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        names = sorted(entries, key=lambda n: n != first)
        for name in names:
            z.writestr(name, entries[name], zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def docx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>",
                   "word/document.xml": b"<w:document/>"}, first="[Content_Types].xml")


def xlsx() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def odt() -> bytes:
    return zip_of({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"},
                  first="mimetype")


def binary(n: int = 8192) -> bytes:
    """Bytes that are nothing in particular (not text: they hold NUL and other control bytes)."""
    return bytes((i * 37 + 11) % 256 for i in range(n))
