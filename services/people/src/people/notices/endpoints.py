"""REST endpoints of approval notices: what was emailed to whom about which approval (thin)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from arflow.pagination import Page, make_page
from arflow.service import SessionDep
from people.deps import Paging, Reader
from people.notices import repository
from people.notices.errors import ApprovalNoticeNotFound
from people.notices.schemas import (
    ApprovalNoticeDetailOut,
    ApprovalNoticeOut,
    NoticeKind,
    NoticeStatus,
    notice_detail_out,
    notice_out,
)

router = APIRouter()


@router.get(
    "/approval-notices",
    response_model=Page[ApprovalNoticeOut],
    tags=["approval notices"],
    summary="Emails about approvals (to approvers when asked, to requesters when decided), newest first",
)
async def list_approval_notices(
    session: SessionDep,
    _: Reader,
    page: Paging,
    approval_id: UUID | None = None,
    username: str | None = None,
    kind: NoticeKind | None = None,
    status: NoticeStatus | None = None,
) -> Page[ApprovalNoticeOut]:
    notices = await repository.list_notices(
        session, page, approval_id=approval_id, username=username, kind=kind, status=status
    )
    return make_page([notice_out(n) for n in notices], page)


@router.get(
    "/approval-notices/{notice_id}",
    response_model=ApprovalNoticeDetailOut,
    tags=["approval notices"],
    summary="One approval notice, with the text and HTML it was sent with",
)
async def get_approval_notice(notice_id: UUID, session: SessionDep, _: Reader) -> ApprovalNoticeDetailOut:
    notice = await repository.get_notice(session, notice_id)
    if notice is None:
        raise ApprovalNoticeNotFound(
            f"There is no approval notice {notice_id}.", detail_zh=f"审批通知 {notice_id} 不存在。"
        )
    return notice_detail_out(notice)
