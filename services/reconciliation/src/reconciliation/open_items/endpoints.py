"""REST endpoints of the open-item projection (thin)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from fastapi import APIRouter

from arflow.money import Currency, to_minor_units
from arflow.pagination import Page
from arflow.service import SessionDep
from reconciliation import domain
from reconciliation.deps import Paging, Reader
from reconciliation.models import OpenItem
from reconciliation.open_items import repository
from reconciliation.open_items.schemas import OpenItemOut
from reconciliation.open_items.service import invoice_state

router = APIRouter()


def open_item_out(item: OpenItem, pending: Decimal) -> OpenItemOut:
    currency = item.currency
    state = invoice_state(item)
    return OpenItemOut(
        invoice_id=item.invoice_id,
        customer_id=item.customer_id,
        invoice_number=item.invoice_number,
        currency=currency,
        status=item.status,
        issued=state.issued,
        total=None if item.total is None else to_minor_units(item.total, currency),
        balance=to_minor_units(item.balance, currency),
        ledger_version=item.ledger_version,
        pending_allocations=to_minor_units(pending, currency),
        available=to_minor_units(domain.available_balance(state, pending), currency),
        invoice_date=item.invoice_date,
        due_date=item.due_date,
        payment_reference=item.payment_reference,
        updated_at=item.updated_at,
    )


@router.get(
    "/open-items",
    response_model=Page[OpenItemOut],
    tags=["open items"],
    summary="The projection of invoicing's invoices that payments are allocated to",
)
async def list_open_items(
    session: SessionDep,
    _: Reader,
    page: Paging,
    customer_id: UUID | None = None,
    status: Literal["open", "written_off", "paid", "void"] | None = None,
    currency: Currency | None = None,
) -> Page[OpenItemOut]:
    rows = await repository.list_open_items(session, page, customer_id=customer_id, status=status, currency=currency)
    items = [open_item_out(item, pending) for item, pending in rows]
    # make_page takes the cursor from an `id` attribute; an open item is keyed by its invoice id.
    has_more = len(items) > page.limit
    data = items[: page.limit]
    return Page[OpenItemOut](data=data, has_more=has_more, next_cursor=data[-1].invoice_id if has_more else None)
