"""File names: cleaned when they arrive, and put back into a `Content-Disposition` header
(RFC 6266: an ASCII `filename` for old clients and a UTF-8 `filename*` for everyone else)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_NAME = 200  # characters; the column holds 255
FALLBACK = "file"
# RFC 8187 attr-char, minus the ones `quote` keeps anyway (letters, digits, "-", ".", "_", "~").
_ATTR_SAFE = "!#$&+^`|"
_SPACES = "\t\n\r\x0b\x0c"
# Control and format characters (NUL, bidi overrides, zero-width ones) and lone surrogates,
# which could neither be shown honestly nor stored (PostgreSQL text holds no NUL).
_DROPPED = frozenset({"Cc", "Cf", "Cs"})


def clean_name(raw: str | None) -> str:
    """The name to keep and show: the last path component (a browser on Windows may send
    `C:\\Users\\ann\\report.pdf`), NFC-normalized, without control or bidi-formatting characters
    (U+202E can make `gpj.exe` look like `exe.jpg`), trimmed, at most MAX_NAME characters with
    the extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if ch in _SPACES else ch for ch in name
                   if ch in _SPACES or unicodedata.category(ch) not in _DROPPED)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return FALLBACK
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME].rstrip(" .")
    return name or FALLBACK


def ascii_fallback(name: str) -> str:
    """`Résumé 2025.pdf` -> `Resume 2025.pdf`; what cannot be spelled in ASCII becomes `_`."""
    decomposed = unicodedata.normalize("NFKD", name)
    out = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        out.append(ch if " " <= ch <= "~" and ch not in '"\\%' else "_")
    return "".join(out) or FALLBACK


def content_disposition(disposition: str, name: str) -> str:
    """`inline` or `attachment` with the file's name, safe to put in a header."""
    fallback = ascii_fallback(name)
    header = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        header += "; filename*=UTF-8''" + quote(name, safe=_ATTR_SAFE)
    return header
