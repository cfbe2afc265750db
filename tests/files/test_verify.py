"""`tack files verify`: every stored copy re-hashed against its rows; missing, damaged and
unreferenced copies reported; orphans purged only when no row uses them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tack.files.storage import storage_for
from tack.files.verify import verify_store
from tack.runtime import Runtime
from tests.conftest import Api
from tests.files import samples
from tests.files.conftest import file_rows, store_root, stored_paths, upload

ROOT = Path(__file__).resolve().parents[2]


def _tack(rt: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACK_")}
    env.update(TACK_DATA_DIR=str(rt.settings.data_dir), TACK_DATABASE_URL=rt.settings.database_url,
               TACK_SECRET_KEY="test", PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "tack", *args], env=env, text=True, capture_output=True,
                          check=False, timeout=120)


async def test_verify_finds_damaged_missing_and_orphaned_files(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    org = demo["org_id"]
    good = (await upload(alice, org, samples.png(), name="good.png")).json()
    bad = (await upload(alice, org, samples.pdf("bad"), name="bad.pdf", content_type="application/pdf")).json()
    twin = (await upload(alice, org, samples.pdf("bad"), name="bad-copy.pdf", content_type="application/pdf")).json()
    gone = (await upload(alice, org, b"some notes\n", name="gone.txt", content_type="text/plain")).json()
    storage = storage_for(rt.settings)

    report = await verify_store(rt.db, storage)
    assert report.ok and report.rows == 4 and report.checked == 3 and report.orphans == []

    root = store_root(rt) / org
    bad_path = root / bad["sha256"][:2] / bad["sha256"]
    damaged = bytearray(bad_path.read_bytes())
    damaged[20] ^= 0xFF  # one flipped byte, same size: only a re-hash sees it
    bad_path.write_bytes(bytes(damaged))
    (root / gone["sha256"][:2] / gone["sha256"]).unlink()
    orphan_sha = "ab" * 32
    (root / "ab").mkdir(exist_ok=True)
    (root / "ab" / orphan_sha).write_bytes(b"left behind by a crash")
    staging = store_root(rt) / ".staging"
    staging.mkdir(exist_ok=True)
    stale = staging / "upload-stale"
    stale.write_bytes(b"half an upload")
    os.utime(stale, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    fresh = staging / "upload-in-flight"
    fresh.write_bytes(b"an upload in flight")

    report = await verify_store(rt.db, storage)
    assert not report.ok
    found = {f.kind: f for f in report.findings}
    assert set(found) == {"missing", "mismatch"}
    assert found["mismatch"].storage_key == f"{org}/{bad['sha256'][:2]}/{bad['sha256']}"
    assert sorted(found["mismatch"].file_ids) == sorted(uuid.UUID(x["id"]) for x in (bad, twin))
    assert found["mismatch"].found_size == bad["size"] and found["mismatch"].found_sha256 != bad["sha256"]
    assert found["missing"].file_ids == [uuid.UUID(gone["id"])] and found["missing"].found_size is None
    assert report.orphans == [f"{org}/ab/{orphan_sha}"]
    assert report.stale_staging == [stale]

    # the command says the same, and fails
    out = _tack(rt, "files", "verify")
    assert out.returncode == 1, out.stderr
    assert f"MISMATCH  {org}/{bad['sha256'][:2]}/{bad['sha256']}" in out.stdout
    assert f"MISSING   {org}/{gone['sha256'][:2]}/{gone['sha256']}  (file {gone['id']})" in out.stdout
    assert "checked 3 stored file(s) for 4 file row(s): 2 missing or damaged" in out.stdout
    assert "1 stored file(s) no row refers to, 1 abandoned upload(s)" in out.stdout
    other = _tack(rt, "files", "verify", "--org", str(uuid.uuid4()))
    assert other.returncode == 0 and "checked 0 stored file(s)" in other.stdout, other.stdout + other.stderr

    # orphans and stale uploads can be removed; what rows use, and uploads in flight, stay
    report = await verify_store(rt.db, storage, purge_orphans=True)
    assert report.purged == 1
    assert not (root / "ab" / orphan_sha).exists() and not stale.exists() and fresh.exists()
    assert len(stored_paths(rt)) == 2 and len(await file_rows(rt)) == 4
    assert (await alice.get(good["url"])).content == samples.png()


async def test_verify_purge_never_removes_bytes_a_row_uses(alice: Api, demo: dict[str, Any], rt: Runtime) -> None:
    """An orphan listed by the scan but referenced by the time it is purged (an upload committed
    in between) is kept: the purge counts rows under the upload's lock."""
    from tack.core.ctx import Actor, Ctx
    from tack.files.service import purge_bytes

    org = demo["org_id"]
    f = (await upload(alice, org, samples.png())).json()
    async with rt.db.transaction() as conn:
        ctx = Ctx(org_id=uuid.UUID(org), actor=Actor.system(), conn=conn, clock=rt.clock)
        assert await purge_bytes(ctx, f["sha256"], storage_for(rt.settings)) is False
    assert (await alice.get(f["url"])).status_code == 200


async def test_verify_is_quiet_on_an_empty_store(rt: Runtime) -> None:
    report = await verify_store(rt.db, storage_for(rt.settings))
    assert report.ok and report.rows == report.checked == 0
    out = await asyncio.to_thread(_tack, rt, "files", "verify")
    assert out.returncode == 0 and "checked 0 stored file(s) for 0 file row(s)" in out.stdout, out.stderr
