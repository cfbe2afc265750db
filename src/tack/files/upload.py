"""Reading an upload: a multipart/form-data body parsed as it streams in.

The `file` part goes straight to a staging file, hashed on the way; it is never held in memory
whole. The limits hold while the bytes flow: one byte past the size limit, or a head that
proves a type the organization does not accept, and reading stops with a 413 or a 422. Nothing
about a refused upload is kept (its staging file is removed).
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import get_args
from urllib.parse import unquote

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from tack.config import Settings
from tack.core.errors import BadRequest, FieldError, Problem, ValidationFailed
from tack.files.models import Purpose
from tack.files.names import clean_name
from tack.files.sniff import INLINE_TYPES, PDF, AllowedTypes, Sniffer
from tack.files.storage import StagingFile

PURPOSES: tuple[str, ...] = get_args(Purpose)
# Purposes shown as pictures (a record's image field, a signature, an avatar) need a picture a
# browser can show.
IMAGE_PURPOSES = frozenset({"image", "signature", "avatar"})
DISPLAYABLE_IMAGES = INLINE_TYPES - {PDF}
FIELDS = ("file", "purpose")
OVERHEAD = 64 * 1024  # multipart framing and the small fields around the file
MAX_FIELD = 1024  # bytes of a non-file field
FILE = "$.file"


class TooLarge(Problem):
    status, slug, title = 413, "too-large", "The upload is too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    types: AllowedTypes

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def of(settings: Settings) -> UploadLimits:
        """The limits a settings object sets (TACK_UPLOAD_MAX_BYTES, TACK_UPLOAD_TYPES)."""
        if settings.upload_max_bytes < 1:
            raise ValueError("TACK_UPLOAD_MAX_BYTES must be at least 1")
        return UploadLimits(settings.upload_max_bytes, AllowedTypes.parse(settings.upload_types))


@dataclass
class StagedUpload:
    """An upload that passed every check, waiting in its staging file to be recorded."""

    staging: StagingFile
    size: int
    sha256: str
    name: str
    declared_type: str | None
    content_type: str
    purpose: str

    @property
    def path(self) -> Path:
        return self.staging.path

    def discard(self) -> None:
        self.staging.discard()


def human_size(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def too_large(limits: UploadLimits) -> TooLarge:
    message = f"The file is larger than the limit of {human_size(limits.max_bytes)}."
    return TooLarge(message, errors=[FieldError(path=FILE, message=message, rule="max-size")],
                    extra={"max_bytes": limits.max_bytes})


def refused_type(content_type: str, purpose: str | None = None) -> ValidationFailed:
    if purpose in IMAGE_PURPOSES:
        message = (f"A file for {purpose!r} must be an image (PNG, JPEG, GIF, WebP, BMP or AVIF); "
                   f"this one is {content_type}.")
    else:
        message = f"Files of type {content_type} are not accepted here."
    return ValidationFailed.field(FILE, message, "content-type")


def _bad(path: str, message: str, rule: str) -> BadRequest:
    return BadRequest(message, errors=[FieldError(path=path, message=message, rule=rule)])


def _file_name(segment: MultipartSegment) -> str:
    """The part's file name; RFC 5987 `filename*` (rare in forms, but some clients send it)
    wins over the plain `filename`."""
    header = segment.header("Content-Disposition", "") or ""
    m = re.search(r"filename\*\s*=\s*([\w!#$%&+.^`|~-]+)'[\w-]*'([^;\s]+)", header, re.IGNORECASE)
    if m:
        try:
            return unquote(m.group(2), encoding=m.group(1), errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return segment.filename or ""


def _check_purpose(raw: str) -> str:
    value = raw.strip()
    if value not in PURPOSES:
        raise _bad("$.purpose", f"must be one of {', '.join(PURPOSES)}", "enum")
    return value


class _Reader:
    """The state of one multipart body being read."""

    def __init__(self, limits: UploadLimits, staging_dir: Path) -> None:
        self.limits = limits
        self.staging_dir = staging_dir
        self.segment: MultipartSegment | None = None
        self.staging: StagingFile | None = None
        self.sniffer: Sniffer | None = None
        self.name = ""
        self.file_done = False
        self.type_checked = False
        self.field = bytearray()
        self.purpose: str | None = None

    def on_segment(self, segment: MultipartSegment) -> None:
        self.segment = segment
        if segment.name == "file":
            if self.staging is not None:
                raise _bad(FILE, "Send one file per request.", "max-items")
            filename = _file_name(segment)
            self.name = clean_name(filename)
            self.sniffer = Sniffer(segment.content_type, self.name)
            self.staging = StagingFile(self.staging_dir)
        elif segment.name == "purpose":
            self.field = bytearray()
        else:
            name = (segment.name or "").replace("\x00", "\ufffd")[:100]
            raise _bad(f"$.{name}", f"unknown field {name!r} (send `file` and optionally `purpose`)",
                       "unknown-field")

    async def on_data(self, data: bytes) -> None:
        assert self.segment is not None
        if self.segment.name == "purpose":
            self.field += data
            if len(self.field) > MAX_FIELD:
                raise _bad("$.purpose", f"must be one of {', '.join(PURPOSES)}", "enum")
            return
        assert self.staging is not None and self.sniffer is not None
        if self.staging.size + len(data) > self.limits.max_bytes:
            raise too_large(self.limits)
        self.sniffer.feed(data)
        await self.staging.write(data)
        if not self.type_checked and self.sniffer.head_known:
            self.type_checked = True
            self._refuse_impossible_type()

    def _refuse_impossible_type(self) -> None:
        """Stop early when no type the head allows is accepted (a 20 MB video need not be read
        to be refused)."""
        assert self.sniffer is not None
        possible = self.sniffer.possible()
        if not any(self.limits.types.allows(t) for t in possible):
            raise refused_type(sorted(possible)[0])
        if self.purpose in IMAGE_PURPOSES and not possible & DISPLAYABLE_IMAGES:
            raise refused_type(sorted(possible)[0], self.purpose)

    def on_end(self) -> None:
        assert self.segment is not None
        if self.segment.name == "purpose":
            try:
                self.purpose = _check_purpose(self.field.decode("utf-8"))
            except UnicodeDecodeError:
                raise _bad("$.purpose", f"must be one of {', '.join(PURPOSES)}", "enum") from None
        else:
            self.file_done = True
        self.segment = None

    async def result(self) -> StagedUpload:
        if self.staging is None or not self.file_done:
            raise _bad(FILE, "Send the file in a multipart/form-data part named `file`.", "required")
        assert self.sniffer is not None
        if self.staging.size == 0:
            raise ValidationFailed.field(FILE, "The file is empty.", "min-size")
        sha256 = await self.staging.finish()
        content_type = await asyncio.to_thread(self.sniffer.result, self.staging.path)
        purpose = self.purpose or "attachment"
        if not self.limits.types.allows(content_type):
            raise refused_type(content_type)
        if purpose in IMAGE_PURPOSES and content_type not in DISPLAYABLE_IMAGES:
            raise refused_type(content_type, purpose)
        return StagedUpload(staging=self.staging, size=self.staging.size, sha256=sha256, name=self.name,
                            declared_type=self.sniffer.declared, content_type=content_type, purpose=purpose)


def boundary_of(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type or "")
    if kind != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data, in a part named `file`.",
                                   errors=[FieldError(path="Content-Type", message="must be multipart/form-data",
                                                      rule="media-type")])
    boundary = options.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise _bad("Content-Type", "multipart/form-data needs a boundary (of at most 200 characters)", "boundary")
    return str(boundary).encode("latin-1", "replace")


async def receive_upload(chunks: AsyncIterator[bytes], content_type: str, content_length: int | None,
                         limits: UploadLimits, staging_dir: Path) -> StagedUpload:
    """Read a multipart upload from `chunks` into a staging file; every check is made on the
    way. The caller records the result (or discards it)."""
    boundary = boundary_of(content_type)
    if content_length is not None and content_length > limits.max_bytes + OVERHEAD:
        raise too_large(limits)  # said so up front: refuse without reading a byte
    reader = _Reader(limits, staging_dir)
    received = 0
    try:
        with PushMultipartParser(boundary, max_header_count=8, max_segment_count=8) as parser:
            async for chunk in chunks:
                if not chunk:
                    continue
                received += len(chunk)
                if received > limits.max_bytes + OVERHEAD:
                    raise too_large(limits)
                for event in list(parser.parse(chunk)):
                    if isinstance(event, MultipartSegment):
                        reader.on_segment(event)
                    elif event:
                        await reader.on_data(event)
                    else:
                        reader.on_end()
            for _event in list(parser.parse(b"")):  # end of input: an unfinished body is an error
                pass
        return await reader.result()
    except MultipartError as exc:
        if reader.staging is not None:
            reader.staging.discard()
        raise _bad("$", f"The multipart/form-data body is malformed: {exc}", "multipart") from None
    except BaseException:
        if reader.staging is not None:
            reader.staging.discard()
        raise
