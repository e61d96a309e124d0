"""Gateway webhooks, no API key: the gateway's signature only (thin: verify, read, record, reply); and their audit."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from arflow.auth import Principal
from arflow.pagination import Page, make_page
from arflow.problems import PROBLEM_JSON
from arflow.service import ClockDep, SessionDep
from reconciliation.deps import Paging, Reader
from reconciliation.errors import PayloadTooLarge
from reconciliation.gateways import providers, repository, service
from reconciliation.gateways.errors import (
    SIGNATURE_REJECTED,
    GatewayNotConfigured,
    NotificationMalformed,
    SignatureInvalid,
)
from reconciliation.gateways.schemas import NotificationOut

router = APIRouter(
    tags=["webhooks"],
    responses={
        400: {
            "description": "Not the gateway's: the signature or its timestamp does not verify",
            "content": {PROBLEM_JSON: {}},
        },
        503: {
            "description": "`gateway_not_configured`: no keys set yet; the gateway retries (`Retry-After`)",
            "content": {PROBLEM_JSON: {}},
        },
    },
)
MAX_BODY = 1024 * 1024
# Each gateway as a Chinese finance team names it, for the Chinese detail of a refused notification
# (a Latin name keeps the space before the Chinese that follows it).
_PROVIDER_ZH = {"stripe": "Stripe ", "alipay": "支付宝", "wechat_pay": "微信支付", "webhook": "Standard Webhooks "}


def _now(clock: Any) -> int:
    return int(clock.now().timestamp())


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge("The notification is too large.", detail_zh=f"通知过大（上限 {MAX_BODY} 字节）。")
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}


def _configured(value: str | None, provider: str) -> str:
    if not value:
        raise GatewayNotConfigured(
            f"The {provider} webhook has no keys configured yet, so its notifications cannot be verified; retry later.",
            detail_zh=f"{provider} 回调尚未配置密钥，无法验证通知；请稍后重试。",
            headers={"Retry-After": "600"},
        )
    return value


async def _record(request: Request, session: Any, clock: Any, notice: providers.GatewayNotice, body: bytes) -> str:
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


def _rejected(
    exc: providers.SignatureRejected | providers.NoticeMalformed, request: Request, provider: str
) -> SignatureInvalid | NotificationMalformed:
    outcome = exc.code if isinstance(exc, providers.SignatureRejected) else "malformed"
    request.app.state.metrics_webhooks.labels(provider, outcome).inc()
    name_zh = _PROVIDER_ZH.get(provider, provider)
    if isinstance(exc, providers.SignatureRejected):
        return SIGNATURE_REJECTED[exc.code](
            f"The {provider} notification is rejected: {exc.detail}.",
            detail_zh=f"{name_zh}回调通知被拒绝：{exc.detail_zh}。",
        )
    return NotificationMalformed(
        f"The {provider} notification cannot be read: {exc}.",
        detail_zh=f"{name_zh}回调通知无法读取：{exc.detail_zh}。",
    )


@router.post("/webhooks/stripe", summary="Stripe events (payment_intent.succeeded, charge.refunded); Stripe-Signature")
async def stripe_webhook(request: Request, session: SessionDep, clock: ClockDep) -> JSONResponse:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        header = request.headers.get("stripe-signature")
        if not header:
            raise providers.SignatureRejected("Stripe-Signature is missing", detail_zh="缺少 Stripe-Signature 签名头")
        secret = _configured(settings.stripe_webhook_secret, "Stripe")
        event = providers.verify_stripe(
            body, header, secret=secret, now=_now(clock), tolerance=settings.stripe_tolerance_seconds
        )
        notice = providers.read_stripe(event)
    except (providers.SignatureRejected, providers.NoticeMalformed) as exc:
        raise _rejected(exc, request, "stripe") from None
    outcome = await _record(request, session, clock, notice, body)
    return JSONResponse({"received": True, "outcome": outcome})


@router.post(
    "/webhooks/alipay",
    summary="Alipay asynchronous notification (form-encoded, RSA2); replies exactly 'success'",
    response_class=PlainTextResponse,
)
async def alipay_webhook(request: Request, session: SessionDep, clock: ClockDep) -> PlainTextResponse:
    body = await _body(request)
    settings = request.app.state.settings
    params = providers.parse_form(body)
    try:
        if not params.get("sign"):
            raise providers.SignatureRejected("the notification has no sign", detail_zh="通知中没有 sign 签名")
        public_key = _configured(settings.alipay_public_key, "Alipay")
        providers.verify_alipay(
            params, public_key=public_key, app_id=settings.alipay_app_id, seller_id=settings.alipay_seller_id
        )
        notice = providers.read_alipay(params)
    except (providers.SignatureRejected, providers.NoticeMalformed) as exc:
        raise _rejected(exc, request, "alipay") from None
    await _record(request, session, clock, notice, body)
    return PlainTextResponse("success")


@router.post(
    "/webhooks/wechat-pay",
    status_code=204,
    summary="WeChat Pay API v3 notification (TRANSACTION.SUCCESS, REFUND.SUCCESS); Wechatpay-Signature",
)
async def wechatpay_webhook(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        headers = _headers(request)
        if not headers.get("wechatpay-signature"):
            raise providers.SignatureRejected(
                "Wechatpay-Signature is missing", detail_zh="缺少 Wechatpay-Signature 签名头"
            )
        public_key = _configured(settings.wechatpay_public_key, "WeChat Pay")
        apiv3_key = _configured(settings.wechatpay_apiv3_key, "WeChat Pay")
        providers.verify_wechatpay(
            body,
            headers,
            public_key=public_key,
            serial=settings.wechatpay_serial,
            now=_now(clock),
            tolerance=settings.wechatpay_tolerance_seconds,
        )
        notice = providers.read_wechatpay(body, apiv3_key=apiv3_key, mchid=settings.wechatpay_mchid)
    except (providers.SignatureRejected, providers.NoticeMalformed) as exc:
        raise _rejected(exc, request, "wechat_pay") from None
    await _record(request, session, clock, notice, body)
    return Response(status_code=204)


@router.post(
    "/webhooks/standard",
    summary="Any other gateway, by the Standard Webhooks spec (webhook-id, -timestamp, -signature)",
)
async def standard_webhook(request: Request, session: SessionDep, clock: ClockDep) -> JSONResponse:
    body = await _body(request)
    settings = request.app.state.settings
    try:
        headers = _headers(request)
        if not headers.get("webhook-signature"):
            raise providers.SignatureRejected("webhook-signature is missing", detail_zh="缺少 webhook-signature 签名头")
        secret = _configured(settings.standard_webhook_secret, "Standard Webhooks")
        message_id = providers.verify_standard(
            body, headers, secret=secret, now=_now(clock), tolerance=settings.standard_webhook_tolerance_seconds
        )
        notice = providers.read_standard(body, message_id)
    except (providers.SignatureRejected, providers.NoticeMalformed) as exc:
        raise _rejected(exc, request, "webhook") from None
    outcome = await _record(request, session, clock, notice, body)
    return JSONResponse({"received": True, "outcome": outcome})


@router.get(
    "/gateway-notifications",
    response_model=Page[NotificationOut],
    summary="Every verified gateway notification, stored raw, with what became of it",
)
async def list_gateway_notifications(
    session: SessionDep,
    _: Reader,
    page: Paging,
    provider: Literal["stripe", "alipay", "wechat_pay", "webhook"] | None = None,
) -> Page[NotificationOut]:
    rows = await repository.list_notifications(session, page, provider=provider)
    return make_page([NotificationOut.model_validate(r, from_attributes=True) for r in rows], page)
