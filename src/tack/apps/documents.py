"""App documents: an app and its forms as one versioned document (`tack.app/v1`), in JSON or YAML.

`export_app` writes the published definition of each form (field ids included, so a document
imported elsewhere keys its records the same way); `import_app` checks every form of a
document before creating anything and then creates a new app through the ordinary service
calls, in the caller's transaction: a document is installed whole or not at all. Problems are
reported at their path in the document (`$.forms[1].fields[3].settings`).

Templates are app documents shipped in `examples/apps/<name>.yaml`, looked up by name only.
"""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Protocol

import msgspec
import sqlalchemy as sa
import yaml
from msgspec import Meta

from tack.apps import service
from tack.apps.models import App, AppCreate, AppName, FormPublish
from tack.apps.tables import forms
from tack.auth.policy import require
from tack.core.ctx import Ctx
from tack.core.errors import BadRequest, FieldError, NotFound, ValidationFailed
from tack.core.ids import new_id
from tack.core.registry import Registry
from tack.forms.definition import compile_form
from tack.forms.model import FormDef

FORMAT: Final = "tack.app/v1"
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_FORMS = 100
TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "examples" / "apps"
TEMPLATE_NAME = re.compile(r"^[a-z0-9-]{1,64}$")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class AppDocument(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An app and its forms, as exported and imported (`format` names the document's version)."""

    format: Literal["tack.app/v1"]
    name: AppName
    forms: Annotated[list[FormDef], Meta(max_length=MAX_FORMS)]
    description: Annotated[str, Meta(max_length=4000)] | None = None
    icon: Annotated[str, Meta(max_length=100)] | None = None
    # Parts other domains keep with the app (tack.flows.documents: each form's approval flow),
    # checked and installed by the part that registered them.
    flows: Annotated[list[dict[str, Any]], Meta(max_length=MAX_FORMS)] | None = None


class DocumentPart(Protocol):
    """A part of app documents that belongs to a domain above apps (flows, later reports)."""

    key: str

    async def export(self, ctx: Ctx, app_id: uuid.UUID, form_names: dict[uuid.UUID, str]) -> list[dict[str, Any]] | None:
        ...

    def check(self, items: list[dict[str, Any]], form_names: set[str]) -> list[FieldError]:
        ...

    async def install(self, ctx: Ctx, items: list[dict[str, Any]], form_ids: dict[str, uuid.UUID]) -> None:
        ...


document_parts: Registry[DocumentPart] = Registry("app document part")
# The modules that register parts, imported on first use (they sit above apps and import it).
PART_MODULES: Final = ("tack.flows.documents",)


def _parts() -> list[DocumentPart]:
    for name in PART_MODULES:
        importlib.import_module(name)
    return [p for _k, p in document_parts.items()]


class Template(msgspec.Struct):
    name: str  # the template's key (its file name), e.g. "visitor"
    title: str  # the app's name
    description: str | None
    icon: str | None
    forms: list[str]


class TemplateList(msgspec.Struct):
    items: list[Template]


class TemplateInstall(msgspec.Struct, forbid_unknown_fields=True):
    template: Annotated[str, Meta(min_length=1, max_length=100)]


async def export_app(ctx: Ctx, app_id: uuid.UUID) -> AppDocument:
    app = await service.get_app(ctx, app_id)
    ids = (await ctx.conn.execute(sa.select(forms.c.id).where(
        forms.c.org_id == ctx.org_id, forms.c.app_id == app_id, forms.c.deleted_at.is_(None))
        .order_by(forms.c.id))).scalars().all()  # ids are time-ordered: the order forms were made in
    defs = [(await service.get_form(ctx, form_id)).definition for form_id in ids]
    names = {str(form_id): d.name for form_id, d in zip(ids, defs, strict=True)}
    doc = AppDocument(format=FORMAT, name=app.name, description=app.description, icon=app.icon,
                      forms=[_with_links(d, lambda v: f"{FORM_REF}{names[v]}" if v in names else v) for d in defs])
    by_id = dict(zip(ids, (d.name for d in defs), strict=True))
    for part in _parts():
        items = await part.export(ctx, app_id, by_id)
        if items:
            doc = msgspec.structs.replace(doc, **{part.key: items})
    return doc


# Links between an app's own forms name the linked form by its name in a document ("form:Products"),
# since form ids belong to the organization that made them; links to forms outside the app keep
# their ids (and are refused, named, where that form does not exist).
FORM_REF: Final = "form:"


def _with_links(d: FormDef, rewrite: Any) -> FormDef:
    """The definition with every link field's `form_id` passed through `rewrite`."""
    def field(fd: Any) -> Any:
        cols = [field(c) for c in fd.columns] if fd.columns else fd.columns
        if fd.type == "link" and isinstance(fd.settings.get("form_id"), str):
            return msgspec.structs.replace(fd, settings={**fd.settings, "form_id": rewrite(fd.settings["form_id"])},
                                           columns=cols)
        return msgspec.structs.replace(fd, columns=cols) if cols else fd
    return msgspec.structs.replace(d, fields=[field(f) for f in d.fields])


def _links_inside(doc: AppDocument) -> bool:
    return any(isinstance(fd.settings.get("form_id"), str) and fd.settings["form_id"].startswith(FORM_REF)
               for d in doc.forms for fd in d.fields if fd.type == "link")


async def import_app(ctx: Ctx, doc: AppDocument) -> App:
    """A new app with the document's forms; every form is checked before anything is created."""
    require(ctx.actor, "app.manage")
    seen: set[str] = set()
    for i, d in enumerate(doc.forms):
        if d.name in seen:
            raise ValidationFailed.field(f"$.forms[{i}].name", "Another form of the app has this name.", "unique")
        seen.add(d.name)
    # Each form's id is chosen now, so links between the app's forms can name them.
    new_ids = {d.name: new_id() for d in doc.forms}
    missing = [(i, fd.name) for i, d in enumerate(doc.forms) for fd in d.fields if fd.type == "link"
               and str(fd.settings.get("form_id", "")).startswith(FORM_REF)
               and fd.settings["form_id"].removeprefix(FORM_REF) not in new_ids]
    if missing:
        raise ValidationFailed.field(f"$.forms[{missing[0][0]}]", f"The link {missing[0][1]!r} names a form that "
                                     "is not in the document.", "link")
    linked = _links_inside(doc)
    doc = msgspec.structs.replace(doc, forms=[_with_links(d, lambda v: str(new_ids[v.removeprefix(FORM_REF)])
                                                          if v.startswith(FORM_REF) else v) for d in doc.forms])
    errors: list[FieldError] = []
    for i, form in enumerate(doc.forms):
        try:
            compile_form(form)
        except ValidationFailed as exc:
            errors.extend(FieldError(path=f"$.forms[{i}]" + e.path.removeprefix("$"), message=e.message,
                                     rule=e.rule) for e in exc.errors)
    for part in _parts():
        items = getattr(doc, part.key) or []
        errors.extend(part.check(items, set(new_ids)))
    if errors:
        raise ValidationFailed("The app document has problems to fix before it can be imported.",
                               errors=errors[:100])
    app = await _create(ctx, doc, new_ids, linked)
    for part in _parts():
        items = getattr(doc, part.key) or []
        if items:
            await part.install(ctx, items, new_ids)
    return app


async def _create(ctx: Ctx, doc: AppDocument, new_ids: dict[str, uuid.UUID], linked: bool) -> App:
    app = await service.create_app(ctx, AppCreate(name=doc.name, description=doc.description, icon=doc.icon))
    if not linked:
        for form in doc.forms:
            await service.create_form(ctx, app.id, form, form_id=new_ids[form.name])
        return app
    # Forms that link to each other (in a circle, even) each need the others to exist: create
    # them empty first, then publish their definitions.
    for form in doc.forms:
        await service.create_form(ctx, app.id, FormDef(name=form.name, fields=[]), form_id=new_ids[form.name])
    for form in doc.forms:
        await service.publish_form(ctx, new_ids[form.name], FormPublish(definition=form))
    return app


def to_yaml(doc: AppDocument) -> str:
    return str(yaml.safe_dump(msgspec.to_builtins(doc), sort_keys=False, allow_unicode=True, width=100))


def to_json(doc: AppDocument) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2)


class _NoAliasLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML without anchors and aliases (no "billion laughs" expansion downstream)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def parse_document(body: bytes, content_type: str | None = None) -> AppDocument:
    """Decode a JSON or YAML app document: malformed input is a 400, a wrong shape a 422."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise BadRequest(f"An app document may be at most {MAX_DOCUMENT_BYTES // 1024} KiB.")
    is_yaml = (content_type or "").split(";", 1)[0].strip().lower() in YAML_TYPES
    try:
        raw: Any = yaml.load(body, Loader=_NoAliasLoader) if is_yaml else msgspec.json.decode(body)  # noqa: S506
    except (yaml.YAMLError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The document is not valid {'YAML' if is_yaml else 'JSON'}: {exc}") from None
    return convert_document(raw)


def convert_document(raw: Any) -> AppDocument:
    try:
        return msgspec.convert(raw, AppDocument, str_keys=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = "$"
        if " - at `" in message:
            message, path = message.rsplit(" - at `", 1)
            path = path.rstrip("`")
        raise ValidationFailed.field(path, message, "schema") from None


def load_template(name: str) -> AppDocument:
    if not TEMPLATE_NAME.fullmatch(name):
        raise BadRequest("A template name is lower-case letters, digits and hyphens.")
    path = TEMPLATES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise NotFound(f"No template named {name!r}.")
    return parse_document(path.read_bytes(), "application/yaml")


def list_templates() -> TemplateList:
    items = []
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        if TEMPLATE_NAME.fullmatch(path.stem):
            doc = load_template(path.stem)
            items.append(Template(name=path.stem, title=doc.name, description=doc.description, icon=doc.icon,
                                  forms=[f.name for f in doc.forms]))
    return TemplateList(items=items)


def template_names() -> list[str]:
    return [t.name for t in list_templates().items]


async def install_template(ctx: Ctx, name: str) -> App:
    require(ctx.actor, "app.manage")
    return await import_app(ctx, load_template(name))
