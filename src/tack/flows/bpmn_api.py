"""HTTP handlers for BPMN 2.0 interchange: download a flow as a .bpmn file, import one as a
form's flow draft.

The import's body is the raw XML (application/xml, text/xml or application/octet-stream, at most
2 MB). Who is calling is checked before the XML is read; what cannot be imported answers 422
with one error per BPMN element, by id (see tack.flows.bpmn_import). A userTask without Tack
settings arrives as an approver for the initiator's direct manager: the designer shows it for
review, as a draft, never published by the import.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter

from tack.files.names import clean_name, content_disposition
from tack.flows import service
from tack.flows.bpmn import export_bpmn, import_bpmn
from tack.flows.bpmn_import import MAX_BYTES
from tack.flows.service import Flow
from tack.http.context import org_ctx

Req = Request[Any, Any, Any]
XML_TYPES = ("application/xml", "text/xml", "application/octet-stream")
BPMN_MEDIA_TYPE = "application/xml"


@dataclass
class BpmnDownload(Operation):
    """The export's answer: a BPMN 2.0 XML file, not JSON."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING)
        headers: dict[str, OpenAPIHeader | Reference] = {"Content-Disposition": OpenAPIHeader(
            schema=text, description="attachment, with the flow's name as the file name (.bpmn)")}
        self.responses = {
            "200": OpenAPIResponse(description="BPMN 2.0 XML with its diagram", headers=headers,
                                   content={BPMN_MEDIA_TYPE: OpenAPIMediaType(schema=text)}),
            **{k: v for k, v in (self.responses or {}).items() if not k.startswith("2")},
        }


@dataclass
class BpmnUpload(Operation):
    """The import's request body: the BPMN file's bytes."""

    def __post_init__(self) -> None:
        xml = Schema(type=OpenAPIType.STRING, description="BPMN 2.0 XML")
        self.request_body = RequestBody(required=True, description="A BPMN 2.0 file, at most 2 MB", content={
            t: OpenAPIMediaType(schema=xml) for t in XML_TYPES})


def bpmn_file_name(name: str) -> str:
    # A slash in a flow's name is not a folder.
    return clean_name(name.replace("/", "-").replace("\\", "-") + ".bpmn")


@get("/flows/{flow_id:str}/bpmn", operation_class=BpmnDownload,
     summary="Download a flow as BPMN 2.0 (bpmn.io, Camunda Modeler): the published version, or the draft")
async def export_flow_bpmn(
    request: Req, org_id: uuid.UUID, flow_id: uuid.UUID,
    draft: Annotated[bool, Parameter(description="The draft instead of the published version (the draft "
                                                 "when nothing is published yet)")] = False,
) -> Response[bytes]:
    async with org_ctx(request, org_id) as ctx:
        definition, name = await service.flow_for_bpmn(ctx, flow_id, draft)
    xml = export_bpmn(definition, process_id=f"flow_{flow_id.hex}")
    return Response(xml, media_type=BPMN_MEDIA_TYPE, headers={
        "Content-Disposition": content_disposition("attachment", bpmn_file_name(name)),
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@post("/forms/{form_id:str}/flow/bpmn", status_code=200, operation_class=BpmnUpload,
      request_max_body_size=MAX_BYTES,
      summary="Import a BPMN 2.0 file as the form's flow draft (the draft is replaced, nothing is published)")
async def import_flow_bpmn(request: Req, org_id: uuid.UUID, form_id: uuid.UUID) -> Flow:
    media_type = request.content_type[0].lower()
    if media_type not in XML_TYPES:
        raise HTTPException(status_code=415, detail=f"Send the BPMN file as {', '.join(XML_TYPES)}.")
    async with org_ctx(request, org_id) as ctx:
        definition = import_bpmn(await request.body())
        return await service.import_flow_draft(ctx, form_id, definition)


router = Router(path="/api/v1/orgs/{org_id:str}", tags=["flows"],
                route_handlers=[export_flow_bpmn, import_flow_bpmn])
