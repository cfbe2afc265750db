"""The pieces without HTTP: sniffing, names, allowed types, size settings, the local backend."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tack.config import Settings
from tack.files import sniff
from tack.files.names import clean_name, content_disposition
from tack.files.sniff import AllowedTypes, Sniffer
from tack.files.storage import LocalStorage, StagingFile, blob_key
from tack.files.upload import UploadLimits
from tests.files import samples


def sniffed(content: bytes, name: str = "f", declared: str | None = None, tmp: Path | None = None) -> str:
    s = Sniffer(declared, name)
    for i in range(0, len(content), 1000):
        s.feed(content[i:i + 1000])
    path = (tmp or Path("/nonexistent")) / "staged"
    if tmp is not None:
        path.write_bytes(content)
    return s.result(path)


def test_magic_numbers(tmp_path: Path) -> None:
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    webp = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + samples.binary(100)
    bmp = b"BM" + (70).to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little") + (40).to_bytes(4, "little") + b"\0" * 52
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\0" * 20
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 20
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + samples.binary(600)
    for content, name, declared, expected in [
        (samples.png(), "a", None, sniff.PNG), (jpeg, "a.png", "image/png", sniff.JPEG), (gif, "a", None, sniff.GIF),
        (webp, "a", None, sniff.WEBP), (bmp, "a", None, sniff.BMP), (avif, "a", None, sniff.AVIF),
        (heic, "a", None, sniff.HEIC), (b"II*\x00" + samples.binary(10), "a", None, sniff.TIFF),
        (samples.pdf(), "a", None, sniff.PDF), (samples.docx(), "a", None, sniff.DOCX),
        (samples.xlsx(), "a", None, sniff.XLSX), (samples.odt(), "a", None, sniff.ODT),
        (samples.zip_of({"x": b"y"}), "a.xlsx", sniff.XLSX, sniff.ZIP), (b"PK\x03\x04broken", "a", None, sniff.ZIP),
        (ole, "old.xls", None, sniff.XLS), (ole, "old", "application/msword", sniff.DOC), (ole, "x", None, sniff.OLE),
        (b"BMW,Audi\n1,2\n", "cars.csv", None, sniff.CSV),  # "BM" alone is no bitmap
        ("\ufeffname;amount\n".encode("utf-16"), "export.txt", None, sniff.TEXT),  # UTF-16 with its BOM
        ("naïve,café\n".encode("cp1252"), "legacy.csv", None, sniff.CSV),  # 8-bit text is text
        (b"a\x00b", "a.txt", "text/plain", sniff.OCTET), (samples.binary(), "a.txt", None, sniff.OCTET),
    ]:
        assert sniffed(content, name, declared, tmp_path) == expected, (name, declared, expected)


def test_possible_types_refuse_early() -> None:
    s = Sniffer("image/png", "clip.png")
    s.feed(b"\x00\x00\x00\x20ftypisom" + samples.binary(sniff.HEAD_SIZE))
    assert s.head_known and s.possible() == {sniff.OCTET}
    s = Sniffer(None, "a.docx")
    s.feed(samples.docx())
    assert s.possible() == sniff.ZIP_TYPES
    s = Sniffer(None, "notes.md")
    s.feed(b"# title\n" * 10)
    assert s.possible() == {sniff.MARKDOWN, sniff.OCTET}, "text until a binary byte shows up"
    s.feed(b"\x01")
    assert s.possible() == {sniff.OCTET}


def test_allowed_types() -> None:
    default = AllowedTypes.parse(Settings().upload_types)
    for ok in (sniff.PNG, sniff.AVIF, sniff.PDF, sniff.DOCX, sniff.XLS, sniff.TEXT, sniff.CSV, sniff.ZIP, sniff.MARKDOWN):
        assert default.allows(ok), ok
    for refused in (sniff.OCTET, sniff.OLE, "video/mp4", "text/html"):
        assert not default.allows(refused), refused
    narrow = AllowedTypes.parse(["image/*", "application/pdf"])
    assert narrow.allows(sniff.GIF) and narrow.allows(sniff.PDF) and not narrow.allows(sniff.CSV)
    assert AllowedTypes.parse(["*"]).allows(sniff.OCTET)
    with pytest.raises(ValueError, match="neither a content type"):
        AllowedTypes.parse(["pictures"])
    with pytest.raises(ValueError):
        UploadLimits.of(Settings(upload_types=("images", "executables")))


def test_settings_from_env() -> None:
    s = Settings.from_env({"TACK_SECRET_KEY": "x", "TACK_DATA_DIR": "/tmp/tack-x"})
    assert s.upload_max_bytes == 25 * 1024 * 1024 and s.upload_types == ("images", "pdf", "office", "text", "csv", "zip")
    assert s.file_storage == "local"
    for raw, expected in (("1048576", 1048576), ("10MiB", 10 * 1024**2), ("512k", 512 * 1024), ("2 GB", 2 * 1024**3)):
        assert Settings.from_env({"TACK_SECRET_KEY": "x", "TACK_UPLOAD_MAX_BYTES": raw}).upload_max_bytes == expected
    with pytest.raises(ValueError, match="not a size"):
        Settings.from_env({"TACK_SECRET_KEY": "x", "TACK_UPLOAD_MAX_BYTES": "lots"})
    s = Settings.from_env({"TACK_SECRET_KEY": "x", "TACK_UPLOAD_TYPES": "images, application/pdf"})
    assert s.upload_types == ("images", "application/pdf")


def test_names() -> None:
    assert clean_name("a\x00b\u200b\u202ec.png") == "abc.png"
    assert clean_name("line\nbreak  and\ttab.txt") == "line break and tab.txt"
    assert clean_name(None) == clean_name("") == clean_name("/") == clean_name("..") == "file"
    assert clean_name("x" * 250) == "x" * 200
    assert clean_name("\ud800bad.txt") == "bad.txt", "a lone surrogate cannot be stored"
    assert content_disposition("attachment", "a.txt") == 'attachment; filename="a.txt"'
    header = content_disposition("attachment", "王芳 的报告.xlsx")
    assert header == ("attachment; filename=\"__ ___.xlsx\"; "
                      "filename*=UTF-8''%E7%8E%8B%E8%8A%B3%20%E7%9A%84%E6%8A%A5%E5%91%8A.xlsx")
    header.encode("latin-1")  # a header value must be


async def test_local_storage(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    org = uuid.uuid4()
    staged = StagingFile(storage.staging_dir)
    await staged.write(b"hello ")
    await staged.write(b"world")
    sha = await staged.finish()
    key = blob_key(org, sha)
    assert await storage.open(key) is None
    assert await storage.put(key, staged.path) is True
    assert not staged.path.exists()
    blob = await storage.open(key)
    assert blob is not None and blob.size == 11
    assert b"".join([c async for c in blob.chunks(4)]) == b"hello world"
    again = StagingFile(storage.staging_dir)
    await again.write(b"hello world")
    assert await again.finish() == sha
    assert await storage.put(key, again.path) is False, "already there: stored once"
    assert [k async for k in storage.keys()] == [key]
    assert await storage.delete(key) is True and await storage.delete(key) is False
    assert [k async for k in storage.keys()] == []
    for bad in ("../etc/passwd", f"{org}/ab/../../x", "/abs/path", f"{org}/xx/{'0' * 64}"):
        with pytest.raises(ValueError):
            storage.path_of(bad)
    discarded = StagingFile(storage.staging_dir)
    await discarded.write(b"partial")
    discarded.discard()
    assert list(storage.staging_dir.iterdir()) == []
