"""The `tack` command, as an operator runs it: migrate, init, demo (twice), version, jobs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def tack(tmp: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TACK_")}
    env.update(TACK_DATA_DIR=str(tmp), PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "tack", *args], env=env, cwd=tmp, text=True,
                          capture_output=True, check=check)


def test_operator_commands(tmp_path: Path) -> None:
    assert tack(tmp_path, "version").stdout.startswith("tack ")
    tack(tmp_path, "migrate")
    assert (tmp_path / "tack.db").exists(), "the default database lives in TACK_DATA_DIR"
    out = tack(tmp_path, "init", "--org-name", "Acme", "--email", "Owner@Acme.example", "--name", "Ann",
               "--password", "long-enough-pw").stdout
    assert "created organization" in out
    bad = tack(tmp_path, "init", "--org-name", "Acme", "--email", "x@acme.example", "--name", "X",
               "--password", "short", check=False)
    assert bad.returncode != 0 and "8 characters" in bad.stderr
    assert "loaded" in tack(tmp_path, "demo").stdout
    assert "already present" in tack(tmp_path, "demo").stdout
    assert "0 job(s)" in tack(tmp_path, "jobs", "retry").stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tack.db'}")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM orgs")).scalar() == 2
        apps = set(c.execute(sa.text("SELECT name FROM apps")).scalars())
        assert {"Visitor management", "Expense reimbursement", "OKR"} <= apps, "`tack demo` installs the templates"
        assert c.execute(sa.text("SELECT email FROM users WHERE name = 'Ann'")).scalar() == "owner@acme.example"
        h = c.execute(sa.text("SELECT password_hash FROM users WHERE name = 'Ann'")).scalar()
        assert h.startswith("$argon2id$")
    engine.dispose()
