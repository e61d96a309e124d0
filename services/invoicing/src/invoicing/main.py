"""The invoicing service application."""

from __future__ import annotations

from fastapi import FastAPI

from arflow.clock import Clock
from arflow.events.catalog import CREDIT_SCORING, DUNNING, RECONCILIATION, topic_of
from arflow.service import ServiceDefinition, create_service_app
from invoicing.config import InvoicingSettings
from invoicing.contracts.endpoints import router as contracts
from invoicing.creditor.endpoints import router as creditor
from invoicing.creditor.service import stored_creditor
from invoicing.customers.endpoints import router as customers
from invoicing.handlers import HANDLERS
from invoicing.hosted import links as hosted_links
from invoicing.hosted.endpoints import document_public_pages
from invoicing.hosted.endpoints import public as hosted_page
from invoicing.hosted.endpoints import router as hosted
from invoicing.hosted.statement_endpoints import public as hosted_statement_page
from invoicing.invoices.endpoints import router as invoices
from invoicing.jobs import jobs_for
from invoicing.late_fees.endpoints import router as late_fees
from invoicing.ledger.endpoints import router as ledger
from invoicing.reports.endpoints import router as reports
from invoicing.statements.endpoints import router as statements
from invoicing.terms.endpoints import router as terms


def definition(settings: InvoicingSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name="invoicing",
        title="arflow invoicing",
        description="Customers, invoices and the receivables ledger of record (应收账款台账).",
        routers=[
            creditor,
            customers,
            ledger,
            terms,
            invoices,
            hosted,
            hosted_page,
            hosted_statement_page,
            late_fees,
            reports,
            contracts,
            statements,
        ],
        subscriptions=[topic_of(RECONCILIATION), topic_of(CREDIT_SCORING), topic_of(DUNNING)],
        handlers=HANDLERS,
        jobs=jobs_for(settings),
    )


async def creditor_readiness(app: FastAPI, settings: InvoicingSettings) -> str:
    """What readiness says of the creditor: set through the API or the settings, the demo one, or missing."""
    async with app.state.db.unit_of_work() as session:
        return settings.creditor_readiness(await stored_creditor(session))


def create_app(settings: InvoicingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or InvoicingSettings()
    hosted_links.configure(settings.public_base_url)
    app = create_service_app(definition(settings), settings, clock=clock)
    # Said by readiness, not failed on: without a creditor the ledger still runs, only documents are refused.
    app.state.advisories["creditor"] = lambda: creditor_readiness(app, settings)
    platform_openapi = app.openapi
    app.openapi = lambda: document_public_pages(platform_openapi())  # type: ignore[method-assign]
    return app
