"""Where the bytes live: a small plug-in interface, and the local filesystem backend.

Keys are content addresses: `<org_id>/<sha256[:2]>/<sha256>`. The same bytes uploaded twice in
one organization are stored once; organizations never share bytes (a tenant's files move with
its shard and are deleted with it). An upload is spooled to a staging file first (hashed while
it is written, never held in memory), because its key is known only once every byte is in;
`put` then moves it into place. A backend for S3-compatible object stores implements the same
`Storage` protocol (staging stays on local disk; `put` uploads and removes the staged file) and
registers itself in `storage_backends` under the name TACK_FILE_STORAGE selects.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from tack.config import Settings
from tack.core.registry import Registry

CHUNK = 256 * 1024
_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{2}/[0-9a-f]{64}")


def blob_key(org_id: uuid.UUID, sha256: str) -> str:
    return f"{org_id}/{sha256[:2]}/{sha256}"


class Blob(Protocol):
    """One stored file, opened for reading. `size` is what the backend holds now (checked
    against the row's size before serving: a cheap guard against truncated or swapped files)."""

    size: int

    def chunks(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        """The bytes, in order; the blob is closed when the iteration ends or is abandoned."""
        ...

    def close(self) -> None: ...


class Storage(Protocol):
    name: str
    staging_dir: Path  # local directory for uploads in flight (same filesystem as the files, if local)

    async def put(self, key: str, staged: Path) -> bool:
        """Make the staged file's bytes the content of `key` (atomically: a reader sees the old
        bytes or the new, never a part) and remove the staged file. True if `key` was new."""
        ...

    async def open(self, key: str) -> Blob | None:
        """The stored bytes of `key`, or None if there are none."""
        ...

    async def delete(self, key: str) -> bool:
        """Remove `key`'s bytes; True if there were any."""
        ...

    def keys(self) -> AsyncIterator[str]:
        """Every key held (for `tack files verify`), in no particular order."""
        ...


StorageFactory = Callable[[Settings], Storage]
storage_backends: Registry[StorageFactory] = Registry("file storage backend")


# -- the local filesystem ------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in `path` durable (the directory entry itself is data)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs_durable(path: Path) -> None:
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
        _fsync_dir(p.parent)


class LocalBlob:
    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self.size = size

    async def chunks(self, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        try:
            while True:
                data = await asyncio.to_thread(self._f.read, chunk_size)
                if not data:
                    return
                yield data
        finally:
            self.close()

    def close(self) -> None:
        self._f.close()


class LocalStorage:
    """Files under `<root>/<org_id>/<sha256[:2]>/<sha256>` (root: TACK_DATA_DIR/files)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging_dir = root / ".staging"

    def path_of(self, key: str) -> Path:
        if not _KEY.fullmatch(key):  # never a path from elsewhere: no "..", no absolute paths
            raise ValueError(f"not a file store key: {key!r}")
        return self.root / key

    async def put(self, key: str, staged: Path) -> bool:
        return await asyncio.to_thread(self._put, self.path_of(key), staged)

    @staticmethod
    def _put(dest: Path, staged: Path) -> bool:
        new = not dest.exists()
        _makedirs_durable(dest.parent)
        # Replace even when the bytes are there already: the same content by its hash, and an
        # existing copy that was damaged on disk is healed by the new one.
        os.replace(staged, dest)
        _fsync_dir(dest.parent)
        return new

    async def open(self, key: str) -> Blob | None:
        return await asyncio.to_thread(self._open, self.path_of(key))

    @staticmethod
    def _open(path: Path) -> Blob | None:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by LocalBlob
        except (FileNotFoundError, NotADirectoryError):
            return None
        return LocalBlob(f, os.fstat(f.fileno()).st_size)

    async def delete(self, key: str) -> bool:
        return await asyncio.to_thread(self._delete, self.path_of(key))

    @staticmethod
    def _delete(path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(path.parent)
        # Empty directories are left: removing one could race an upload placing a file in it.
        return True

    async def keys(self) -> AsyncIterator[str]:
        def listdir(p: Path) -> list[str]:
            try:
                return sorted(e.name for e in os.scandir(p))
            except (FileNotFoundError, NotADirectoryError):
                return []

        for org in await asyncio.to_thread(listdir, self.root):
            if org.startswith("."):
                continue
            for prefix in await asyncio.to_thread(listdir, self.root / org):
                for name in await asyncio.to_thread(listdir, self.root / org / prefix):
                    key = f"{org}/{prefix}/{name}"
                    if _KEY.fullmatch(key):
                        yield key


storage_backends.register("local", lambda s: LocalStorage(Path(s.data_dir) / "files"))


# -- staging: an upload on its way in --------------------------------------------------------

class StagingFile:
    """A temporary file an upload streams into, hashed as it is written. Writes are batched
    (up to CHUNK) and done in a worker thread, so a slow disk does not stall the event loop."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self._f = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._buf = bytearray()
        self.size = 0

    async def write(self, chunk: bytes) -> None:
        self._buf += chunk
        self.size += len(chunk)
        if len(self._buf) >= CHUNK:
            data, self._buf = bytes(self._buf), bytearray()
            await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        self._f.write(data)
        self._hash.update(data)

    async def finish(self) -> str:
        """Flush to disk (fsync: it is about to become the stored copy); returns the SHA-256."""
        data, self._buf = bytes(self._buf), bytearray()

        def done() -> str:
            self._write(data)
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            return self._hash.hexdigest()

        return await asyncio.to_thread(done)

    def discard(self) -> None:
        """Remove the staged file (a no-op once `put` has moved it into place)."""
        if not self._f.closed:
            self._f.close()
        self.path.unlink(missing_ok=True)


# -- which storage this process uses -----------------------------------------------------------

_configured: dict[str, Settings] = {}
_instances: dict[tuple[str, str], Storage] = {}


def storage_for(settings: Settings) -> Storage:
    key = (settings.file_storage, str(Path(settings.data_dir).resolve()))
    if key not in _instances:
        _instances[key] = storage_backends.get(settings.file_storage)(settings)
    return _instances[key]


def configure(settings: Settings) -> None:
    """Called at start-up (`Runtime.create`): the storage jobs use (they get no settings). An
    unknown TACK_FILE_STORAGE or a bad TACK_UPLOAD_TYPES stops the start here."""
    from tack.files.upload import UploadLimits  # upload.py imports this module

    UploadLimits.of(settings)
    storage_for(settings)
    _configured["settings"] = settings


def current_storage() -> Storage:
    return storage_for(_configured.get("settings") or Settings.from_env())
