"""Gateway webhooks: no API key, the gateway's signature only (thin: verify, read, record, reply)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from arflow.auth import Principal
from arflow.problems import NotFound, Problem
from arflow.service import ClockDep, SessionDep
from reconciliation import gateways, service

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MAX_BODY = 1024 * 1024


class SignatureProblem(Problem):
    status, code, title = 400, "signature_invalid", "Signature rejected"


def _now(clock: Any) -> int:
    return int(clock.now().timestamp())


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem("The notification is too large.", code="payload_too_large", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}


def _configured(value: str | None, provider: str) -> str:
    if not value:
        raise NotFound(f"The {provider} webhook is not configured here.", code="gateway_not_configured")
    return value


async def _record(request: Request, session: Any, clock: Any, notice: gateways.GatewayNotice, body: bytes) -> str:
    outcome, _ = await service.record_notification(
        session,
        clock=clock,
        settings=request.app.state.settings,
        notice=notice,
        headers=_headers(request),
        body=body.decode("utf-8", errors="replace"),
        actor=Principal(name=f"gateway:{notice.provider}", scopes=frozenset()),
    )
    request.app.state.metrics_webhooks.labels(notice.provider, outcome).inc()
    return outcome


def _rejected(exc: gateways.SignatureRejected | gateways.NoticeMalformed, request: Request, provider: str) -> Problem:
    outcome = exc.code if isinstance(exc, gateways.SignatureRejected) else "malformed"
    request.app.state.metrics_webhooks.labels(provider, outcome).inc()
    if isinstance(exc, gateways.SignatureRejected):
        return SignatureProblem(f"The {provider} notification is rejected: {exc.detail}.", code=exc.code)
    return Problem(f"The {provider} notification cannot be read: {exc}.", code="notification_malformed", status=422)


@router.post("/stripe", summary="Stripe events (payment_intent.succeeded, charge.refunded); Stripe-Signature")
async def stripe_webhook(request: Request, session: SessionDep, clock: ClockDep) -> JSONResponse:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        header = request.headers.get("stripe-signature")
        if not header:
            raise gateways.SignatureRejected("Stripe-Signature is missing")
        secret = _configured(settings.stripe_webhook_secret, "Stripe")
        event = gateways.verify_stripe(
            body, header, secret=secret, now=_now(clock), tolerance=settings.stripe_tolerance_seconds
        )
        notice = gateways.read_stripe(event)
    except (gateways.SignatureRejected, gateways.NoticeMalformed) as exc:
        raise _rejected(exc, request, "stripe") from None
    outcome = await _record(request, session, clock, notice, body)
    return JSONResponse({"received": True, "outcome": outcome})


@router.post(
    "/alipay",
    summary="Alipay asynchronous notification (form-encoded, RSA2); replies exactly 'success'",
    response_class=PlainTextResponse,
)
async def alipay_webhook(request: Request, session: SessionDep, clock: ClockDep) -> PlainTextResponse:
    body = await _body(request)
    settings = request.app.state.settings
    params = gateways.parse_form(body)
    try:
        if not params.get("sign"):
            raise gateways.SignatureRejected("the notification has no sign")
        public_key = _configured(settings.alipay_public_key, "Alipay")
        gateways.verify_alipay(
            params, public_key=public_key, app_id=settings.alipay_app_id, seller_id=settings.alipay_seller_id
        )
        notice = gateways.read_alipay(params)
    except (gateways.SignatureRejected, gateways.NoticeMalformed) as exc:
        raise _rejected(exc, request, "alipay") from None
    await _record(request, session, clock, notice, body)
    return PlainTextResponse("success")


@router.post(
    "/wechat-pay",
    status_code=204,
    summary="WeChat Pay API v3 notification (TRANSACTION.SUCCESS, REFUND.SUCCESS); Wechatpay-Signature",
)
async def wechatpay_webhook(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        headers = _headers(request)
        if not headers.get("wechatpay-signature"):
            raise gateways.SignatureRejected("Wechatpay-Signature is missing")
        public_key = _configured(settings.wechatpay_public_key, "WeChat Pay")
        apiv3_key = _configured(settings.wechatpay_apiv3_key, "WeChat Pay")
        gateways.verify_wechatpay(
            body,
            headers,
            public_key=public_key,
            serial=settings.wechatpay_serial,
            now=_now(clock),
            tolerance=settings.wechatpay_tolerance_seconds,
        )
        notice = gateways.read_wechatpay(body, apiv3_key=apiv3_key, mchid=settings.wechatpay_mchid)
    except (gateways.SignatureRejected, gateways.NoticeMalformed) as exc:
        raise _rejected(exc, request, "wechat_pay") from None
    await _record(request, session, clock, notice, body)
    return Response(status_code=204)


@router.post(
    "/standard",
    summary="Any other gateway, by the Standard Webhooks spec (webhook-id, -timestamp, -signature)",
)
async def standard_webhook(request: Request, session: SessionDep, clock: ClockDep) -> JSONResponse:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        headers = _headers(request)
        if not headers.get("webhook-signature"):
            raise gateways.SignatureRejected("webhook-signature is missing")
        secret = _configured(settings.standard_webhook_secret, "Standard Webhooks")
        message_id = gateways.verify_standard(
            body, headers, secret=secret, now=_now(clock), tolerance=settings.standard_webhook_tolerance_seconds
        )
        notice = gateways.read_standard(body, message_id)
    except (gateways.SignatureRejected, gateways.NoticeMalformed) as exc:
        raise _rejected(exc, request, "webhook") from None
    outcome = await _record(request, session, clock, notice, body)
    return JSONResponse({"received": True, "outcome": outcome})
