"""GET /api/processes/<id>/bpmn and POST /api/processes/bpmn: BPMN 2.0 out and in."""

from __future__ import annotations

from flask import Response, current_app, request, url_for

from kb.access_rules import CONTRIBUTOR, READER, needs
from kb.api import bp
from kb.api.body import read_file
from kb.api.models.bpmn import BpmnImported, BpmnImportQuery
from kb.api.processes import NO_MODEL
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.core.attributes import alike
from kb.core.errors import TooLarge, ValidationError
from kb.processes import exchange
from kb.security import viewer
from kb.storage.names import document_filename

#: what the import reads (the body is the file, read by the view itself)
BPMN_MEDIA = {"application/xml": None, "text/xml": None, "application/octet-stream": None}


def bpmn_body() -> bytes:
    """The uploaded file's bytes; a body over the request limit is a 400 that says so (before
    it is read, when its length is given; else once the limit is passed)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    size = request.content_length
    try:
        return read_file(request, limit)
    except TooLarge:
        shown = f"{size / 1024 / 1024:.1f} MB" if size is not None else "too large"
        raise ValidationError(
            f"The file is {shown}; BPMN files up to {limit // 1024 // 1024} MB can be imported.",
            field="file",
        ) from None


def imported_answer(outcome: exchange.BpmnImport) -> BpmnImported:
    return BpmnImported(
        **alike(outcome.doc, "id title version"), **alike(outcome, "created steps report")
    )


@bp.get("/processes/<doc_id>/bpmn")
@contract(
    ok=(200, None),
    answer_media="application/xml",
    HTTP_404=NO_MODEL,
)
@needs(READER)
def export_bpmn(doc_id: str):
    """A process model's steps as BPMN 2.0 XML (application/xml), laid out

    One pool with a lane per role, tasks, exclusive gateways for decisions, parallel gateways
    where a step leads to several at once, start and end events, sequence flows named by
    their conditions, and diagram interchange (BPMNDI) coordinates, so that modellers
    (bpmn.io, Camunda Modeler, Signavio, ...) open it laid out.
    """
    doc, xml = exchange.export_model(current().db, doc_id, viewer=viewer())
    name = document_filename(doc.id, doc.title).removesuffix(".md") + ".bpmn"
    return Response(
        xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/processes/bpmn")
@contract(
    ok=(200, BpmnImported),
    query=BpmnImportQuery,
    media=BPMN_MEDIA,
    HTTP_400="Not a BPMN 2.0 file, not well-formed, hostile (a DTD, entities, external "
    "references) or too large",
    HTTP_404="`model` names no process model you may read",
    HTTP_409="The model changed during the import",
)
@needs(CONTRIBUTOR, what="import process models")
def import_bpmn():
    """Import a BPMN 2.0 file written by a modeller (the body is the file)

    Pools, lanes and nested lanes become roles; tasks of every kind, call activities and
    sub-processes become steps; gateways become decisions (parallel ones are passed through);
    start and end events, sequence flows and their names, and documentation are kept. Vendor
    extensions are ignored. Without `model` a new draft model is created; with it, that
    model's steps and roles are replaced in a new revision. `report` lists what kb could not
    represent. The XML may declare no DTD and no entity.
    """
    query = parsed_query()
    outcome = exchange.import_model(current().db, bpmn_body(), viewer=viewer(), into=query.model)
    location = url_for("api.get_process", doc_id=outcome.doc.id)
    return imported_answer(outcome), 200, {"Location": location}
