"""REST endpoints of the action log and its documents."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Response

from arflow.money import to_minor_units
from arflow.pagination import Page, make_page
from arflow.service import SessionDep
from dunning.actions import exports, repository
from dunning.actions.errors import DocumentNotFound
from dunning.actions.schemas import ActionOut, ActionStatus, DocumentOut
from dunning.deps import Paging, Reader
from dunning.lookups import require_case
from dunning.models import DunningAction

router = APIRouter()


def action_out(action: DunningAction) -> ActionOut:
    fields = {c.key: getattr(action, c.key) for c in DunningAction.__table__.columns}
    return ActionOut.model_validate(
        {**fields, "amount_overdue": to_minor_units(action.amount_overdue, action.currency)}
    )


@router.get("/actions", response_model=Page[ActionOut], tags=["actions"], summary="The action log, newest first")
async def list_actions(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    case_id: UUID | None = None,
    status: ActionStatus | None = None,
) -> Page[ActionOut]:
    actions = await repository.list_actions(session, page, customer_id=customer_id, case_id=case_id, status=status)
    return make_page([action_out(a) for a in actions], page)


@router.get(
    "/actions/export",
    tags=["actions"],
    summary="The action log as CSV, oldest first",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_actions(
    session: SessionDep, _: Reader, customer_id: UUID | None = None, case_id: UUID | None = None
) -> Response:
    actions = await repository.export_actions(session, customer_id=customer_id, case_id=case_id)
    return Response(
        "\ufeff" + exports.actions_csv(actions),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dunning-actions.csv"'},
    )


@router.get(
    "/cases/{case_id}/documents",
    response_model=Page[DocumentOut],
    tags=["documents"],
    summary="A case's letters and evidence packs, newest first",
)
async def case_documents(case_id: UUID, session: SessionDep, _: Reader, page: Paging) -> Page[DocumentOut]:
    await require_case(session, case_id)
    documents = await repository.list_case_documents(session, case_id, page)
    return make_page([DocumentOut.model_validate(d, from_attributes=True) for d in documents], page)


@router.get(
    "/documents/{document_id}",
    tags=["documents"],
    summary="Download a letter (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def download_document(document_id: UUID, session: SessionDep, _: Reader) -> Response:
    document = await repository.get_document(session, document_id)
    if document is None:
        raise DocumentNotFound(f"There is no document {document_id}.", detail_zh=f"文件 {document_id} 不存在。")
    return Response(
        document.content,
        media_type=document.media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}"},
    )
