"""Shard readiness (DESIGN §5): every tenant table can be hash-partitioned by `org_id`.

PostgreSQL refuses a primary key or unique index on a partitioned table unless it contains the
partition key, so copying each tenant table into `PARTITION BY HASH (org_id)` with all of its
indexes, and filling it, proves the schema is tenant-first without Citus.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tack.core.db import metadata

# Keyed by person or credential, not by organization: these stay unpartitioned (reference data
# on Citus) — see docs/operations.md.
GLOBAL_TABLES = {"users", "orgs", "sessions", "password_resets", "idempotency_keys", "rate_limits",
                 "invitation_codes", "alembic_version"}


def tenant_tables() -> list[sa.Table]:
    return [t for t in metadata.sorted_tables if "org_id" in t.c and t.name not in GLOBAL_TABLES]


def test_every_table_is_tenant_or_known_global() -> None:
    for t in metadata.sorted_tables:
        assert "org_id" in t.c or t.name in GLOBAL_TABLES, f"{t.name} has no org_id and is not a known global table"


def test_org_id_leads_every_key_of_tenant_tables() -> None:
    for t in tenant_tables():
        assert list(t.primary_key.columns)[0].name == "org_id", f"{t.name}: org_id must lead the primary key"
        for idx in t.indexes:
            if idx.unique:
                assert "org_id" in [c.name for c in idx.columns], f"{t.name}.{idx.name} lacks org_id"
        for con in t.constraints:
            if isinstance(con, sa.UniqueConstraint):
                assert "org_id" in [c.name for c in con.columns], f"{t.name}.{con.name} lacks org_id"
            if isinstance(con, sa.ForeignKeyConstraint) and con.referred_table.name not in GLOBAL_TABLES:
                assert con.column_keys[0] == "org_id", f"{t.name}.{con.name}: foreign keys lead with org_id"


async def test_tenant_tables_hash_partition_by_org_id(db_url: str, demo: dict[str, Any], rt: Any) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("native hash partitioning is a PostgreSQL feature")
    async with rt.db.transaction() as conn:
        await conn.execute(sa.text("DROP SCHEMA IF EXISTS part CASCADE"))
        await conn.execute(sa.text("CREATE SCHEMA part"))
        for t in tenant_tables():
            await conn.execute(sa.text(
                f"CREATE TABLE part.{t.name} (LIKE public.{t.name} INCLUDING DEFAULTS INCLUDING INDEXES) "
                "PARTITION BY HASH (org_id)"))
            for i in range(4):
                await conn.execute(sa.text(f"CREATE TABLE part.{t.name}_{i} PARTITION OF part.{t.name} "
                                           f"FOR VALUES WITH (MODULUS 4, REMAINDER {i})"))
            await conn.execute(sa.text(f"INSERT INTO part.{t.name} SELECT * FROM public.{t.name}"))
            n_src = (await conn.execute(sa.text(f"SELECT count(*) FROM public.{t.name}"))).scalar()
            n_dst = (await conn.execute(sa.text(f"SELECT count(*) FROM part.{t.name}"))).scalar()
            assert n_src == n_dst
        # a tenant's members all live in one partition
        parts = (await conn.execute(sa.text(
            "SELECT count(DISTINCT tableoid) FROM part.members WHERE org_id = :o"), {"o": demo["org_id"]})).scalar()
        assert parts == 1
        await conn.execute(sa.text("DROP SCHEMA part CASCADE"))
