"""HTTP handlers for apps and forms."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import Parameter

from tack.apps import documents, form_check, service
from tack.apps.documents import AppDocument, TemplateInstall, TemplateList
from tack.apps.models import App, AppCreate, AppList, AppUpdate, Form, FormList, FormPublish
from tack.auth.policy import require
from tack.forms.model import FormDef
from tack.http.context import org_ctx, resolve_principal, runtime_of

Req = Request[Any, Any, Any]


@get("/apps", summary="List apps")
async def list_apps(request: Req, org_id: uuid.UUID) -> AppList:
    async with org_ctx(request, org_id) as ctx:
        return await service.list_apps(ctx)


@post("/apps", summary="Create an app")
async def create_app(request: Req, org_id: uuid.UUID, data: AppCreate) -> App:
    async with org_ctx(request, org_id) as ctx:
        return await service.create_app(ctx, data)


@get("/apps/{app_id:str}", summary="Read an app")
async def get_app(request: Req, org_id: uuid.UUID, app_id: uuid.UUID) -> App:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_app(ctx, app_id)


@patch("/apps/{app_id:str}", summary="Rename an app or change its description and icon")
async def update_app(request: Req, org_id: uuid.UUID, app_id: uuid.UUID, data: AppUpdate) -> App:
    async with org_ctx(request, org_id) as ctx:
        return await service.update_app(ctx, app_id, data)


@delete("/apps/{app_id:str}", summary="Delete an app (its records are kept until purged)")
async def delete_app(request: Req, org_id: uuid.UUID, app_id: uuid.UUID) -> None:
    async with org_ctx(request, org_id) as ctx:
        await service.delete_app(ctx, app_id)


@get("/apps/{app_id:str}/forms", summary="List an app's forms")
async def list_forms(request: Req, org_id: uuid.UUID, app_id: uuid.UUID) -> FormList:
    async with org_ctx(request, org_id) as ctx:
        return await service.list_forms(ctx, app_id)


@post("/apps/{app_id:str}/forms", summary="Create a form (checked; published as version 1)")
async def create_form(request: Req, org_id: uuid.UUID, app_id: uuid.UUID, data: FormDef) -> Form:
    async with org_ctx(request, org_id) as ctx:
        return await service.create_form(ctx, app_id, data)


@get("/forms/{form_id:str}", summary="Read a form's definition (the published version, or `version`)")
async def get_form(request: Req, org_id: uuid.UUID, form_id: uuid.UUID,
                   version: Annotated[int | None, Parameter(ge=1)] = None) -> Form:
    async with org_ctx(request, org_id) as ctx:
        return await service.get_form(ctx, form_id, version)


@post("/forms/{form_id:str}/versions", summary="Publish a new version of a form's definition")
async def publish_form(request: Req, org_id: uuid.UUID, form_id: uuid.UUID, data: FormPublish) -> Form:
    async with org_ctx(request, org_id) as ctx:
        return await service.publish_form(ctx, form_id, data)


@post("/forms/check", status_code=200,
      summary="Check a form definition without saving it (the designer's live check; its problems as data)")
async def check_form(request: Req, org_id: uuid.UUID, data: FormDef) -> form_check.FormCheck:
    async with org_ctx(request, org_id) as ctx:
        return await form_check.check_form(ctx, data)


@get("/apps/{app_id:str}/document", summary="Export an app as a document (JSON, or YAML with format=yaml)")
async def export_app(request: Req, org_id: uuid.UUID, app_id: uuid.UUID,
                     format: Literal["json", "yaml"] = "json") -> Response[AppDocument]:
    async with org_ctx(request, org_id) as ctx:
        doc = await documents.export_app(ctx, app_id)
    if format == "yaml":
        return Response(documents.to_yaml(doc).encode(), media_type="application/yaml")  # type: ignore[arg-type]
    return Response(doc)


@post("/apps/import", status_code=201,
      summary="Import an app document (JSON, or YAML with Content-Type application/yaml) as a new app")
async def import_app(request: Req, org_id: uuid.UUID) -> App:
    async with org_ctx(request, org_id) as ctx:
        require(ctx.actor, "app.manage")
        doc = documents.parse_document(await request.body(), request.headers.get("content-type"))
        return await documents.import_app(ctx, doc)


@post("/apps/install", status_code=201, summary="Install an app from a template (see /api/v1/templates)")
async def install_template(request: Req, org_id: uuid.UUID, data: TemplateInstall) -> App:
    async with org_ctx(request, org_id) as ctx:
        return await documents.install_template(ctx, data.template)


@get("/api/v1/templates", tags=["apps"], summary="List the app templates that can be installed")
async def list_templates(request: Req) -> TemplateList:
    async with runtime_of(request).db.transaction(write=False) as conn:
        await resolve_principal(request, conn)  # signed in (any person or token)
    return documents.list_templates()


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["apps"], route_handlers=[
    list_apps, create_app, get_app, update_app, delete_app, list_forms, create_form, get_form, publish_form, check_form,
    export_app, import_app, install_template])
