"""The `tack` command: serve, migrate, init, demo, worker, jobs, app, files, version."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tack import __version__
from tack.config import Settings

if TYPE_CHECKING:
    from tack.core.ctx import Ctx

T = TypeVar("T")


def _settings() -> Settings:
    return Settings.from_env()


def run_migrations(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2]
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


@click.group()
def main() -> None:
    """Tack: the platform an organization runs itself on."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(f"tack {__version__}")


@main.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    s = _settings()
    run_migrations(s.database_url)
    click.echo(f"migrated {_safe_url(s.database_url)}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="worker processes")
@click.option("--background/--no-background", default=None,
              help="run event consumers and jobs in this server (default: TACK_BACKGROUND, on)")
def serve(host: str, port: int, workers: int, background: bool | None) -> None:
    """Serve the web app and the API."""
    import uvicorn

    if background is not None:
        os.environ["TACK_BACKGROUND"] = "true" if background else "false"
    uvicorn.run("tack.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=_settings().log_level.lower(), proxy_headers=True, ws_ping_interval=20)


@main.command()
def worker() -> None:
    """Run the relay, event consumers and durable jobs without serving HTTP (scale-out)."""
    from tack.runtime import Runtime

    async def run() -> None:
        rt = Runtime.create(_settings())
        await rt.start(background=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        click.echo(f"tack worker running (bus {rt.bus.url})")
        await stop.wait()
        await rt.stop()

    asyncio.run(run())


@main.command()
@click.option("--org-name", required=True, help="the organization's name")
@click.option("--email", required=True, help="the owner's email")
@click.option("--name", required=True, help="the owner's name")
@click.option("--password", default=None, help="the owner's password (else TACK_INIT_PASSWORD)")
@click.option("--locale", default="en", type=click.Choice(["en", "zh-CN"]))
@click.option("--time-zone", default="UTC")
def init(org_name: str, email: str, name: str, password: str | None, locale: str, time_zone: str) -> None:
    """Create the first organization and its owner (non-interactive)."""
    from tack.setup import create_first_org

    password = password or os.environ.get("TACK_INIT_PASSWORD")
    if not password:
        raise click.UsageError("give --password or set TACK_INIT_PASSWORD")
    s = _settings()
    try:
        org_id = asyncio.run(create_first_org(s, org_name=org_name, email=email, name=name, password=password,
                                              locale=locale, time_zone=time_zone))
    except Exception as exc:  # a Problem from the services: say it plainly
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"created organization {org_id}; sign in as {email}")


@main.command()
def demo() -> None:
    """Load the demo organization (once; running it again changes nothing)."""
    from tack.demo import DEMO_PASSWORD, load_demo

    created = asyncio.run(load_demo(_settings()))
    click.echo("demo organization loaded" if created else "demo organization already present")
    click.echo(f"sign in as alice@example.com (owner), bob@example.com or carol@example.com; password {DEMO_PASSWORD}")


@main.group()
def jobs() -> None:
    """Inspect and retry durable jobs."""


@jobs.command("dead")
def jobs_dead() -> None:
    """List dead letters (jobs that ran out of attempts)."""
    from tack.setup import dead_jobs

    for row in asyncio.run(dead_jobs(_settings())):
        click.echo(f"{row['id']}  {row['kind']}  attempts={row['attempts']}  {row['last_error']}")


@jobs.command("retry")
@click.argument("job_id", required=False)
def jobs_retry(job_id: str | None) -> None:
    """Put dead letters (all, or one) back in the queue."""
    from tack.setup import retry_jobs

    n = asyncio.run(retry_jobs(_settings(), job_id))
    click.echo(f"{n} job(s) queued again")


@main.group()
def app() -> None:
    """Export and import apps as documents (YAML or JSON)."""


def _uuid(value: str, hint: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"not an id: {value!r}", param_hint=hint) from None


@app.command("export")
@click.option("--org", "org_id", required=True, help="the organization's id")
@click.option("--app", "app_id", required=True, help="the app's id")
@click.option("--yaml", "as_yaml", is_flag=True, help="write YAML (default JSON)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write to this file (default standard output)")
def app_export(org_id: str, app_id: str, as_yaml: bool, output: str | None) -> None:
    """Write an app and its forms as a document."""
    from tack.apps import documents
    from tack.setup import as_system

    org, app_ = _uuid(org_id, "--org"), _uuid(app_id, "--app")

    async def run(ctx: Ctx) -> documents.AppDocument:
        return await documents.export_app(ctx, app_)

    doc = _run_or_exit(as_system(_settings(), org, run, write=False))
    text = documents.to_yaml(doc) if as_yaml else documents.to_json(doc).decode() + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@app.command("import")
@click.option("--org", "org_id", required=True, help="the organization's id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def app_import(org_id: str, file: str) -> None:
    """Create a new app from a document (.yaml/.yml or .json); prints the new app's id."""
    from tack.apps import documents
    from tack.setup import as_system

    org = _uuid(org_id, "--org")
    body = Path(file).read_bytes()
    kind = "application/yaml" if file.lower().endswith((".yaml", ".yml")) else "application/json"

    async def run(ctx: Ctx) -> uuid.UUID:
        return (await documents.import_app(ctx, documents.parse_document(body, kind))).id

    click.echo(str(_run_or_exit(as_system(_settings(), org, run))))


def _run_or_exit(coro: Coroutine[Any, Any, T]) -> T:
    from tack.core.errors import Problem

    try:
        return asyncio.run(coro)
    except Problem as exc:  # say it plainly, with each problem's path
        click.echo(f"error: {exc}", err=True)
        for e in exc.errors:
            click.echo(f"  {e.path}: {e.message}", err=True)
        sys.exit(1)


@main.group()
def files() -> None:
    """Check the file store."""


@files.command("verify")
@click.option("--org", "org_id", default=None, help="only this organization's files")
@click.option("--purge-orphans", is_flag=True,
              help="remove stored files no row refers to, and uploads abandoned over a day ago")
def files_verify(org_id: str | None, purge_orphans: bool) -> None:
    """Re-hash every stored file; report missing and damaged ones (exit status 1 if any)."""
    from tack.core.db import Database
    from tack.files.storage import storage_for
    from tack.files.verify import Report, verify_store

    try:
        org = uuid.UUID(org_id) if org_id else None
    except ValueError:
        raise click.BadParameter("not an organization id", param_hint="--org") from None
    s = _settings()

    async def run() -> Report:
        db = Database(s.database_url)
        try:
            return await verify_store(db, storage_for(s), org_id=org, purge_orphans=purge_orphans)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    for finding in report.findings:
        click.echo(finding.describe())
    click.echo(f"checked {report.checked} stored file(s) for {report.rows} file row(s): "
               f"{len(report.findings)} missing or damaged")
    if report.orphans or report.stale_staging:
        done = (f"removed {report.purged} stored file(s) and {len(report.stale_staging)} upload(s)"
                if purge_orphans else "--purge-orphans removes them")
        click.echo(f"{len(report.orphans)} stored file(s) no row refers to, {len(report.stale_staging)} "
                   f"abandoned upload(s): {done}")
    if report.findings:
        sys.exit(1)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
