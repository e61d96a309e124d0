"""Reconciliation settings (ARFLOW_* environment variables)."""

from decimal import Decimal

from pydantic import Field

from arflow.settings import ServiceSettings


class ReconciliationSettings(ServiceSettings):
    # Matching (see matching.py and the README for what each means).
    match_threshold: float = Field(
        default=0.9, ge=0, le=1, description="Confidence at or above which a match is applied."
    )
    match_tolerance_absolute: Decimal = Field(
        default=Decimal("1.00"), ge=0, description="Amounts this close count as equal (bank fees deducted)."
    )
    match_tolerance_percent: Decimal = Field(
        default=Decimal("0"), ge=0, le=10, description="Or this percent of the amount."
    )
    match_max_candidates: int = Field(default=25, ge=1, le=60, description="Open items the subset search considers.")
    match_max_combination: int = Field(default=5, ge=1, le=8, description="Items at most in one combination.")
    match_max_search_steps: int = Field(default=200_000, ge=1000, description="Step budget of one subset search.")
    # Statement import.
    import_max_bytes: int = Field(default=200 * 1024 * 1024, description="Largest statement file accepted.")
    import_chunk_lines: int = Field(default=500, ge=1, description="Lines processed per transaction.")
    import_preload_lines: int = Field(
        default=2000,
        ge=0,
        description="An import of at least this many lines loads the whole open-item projection once for matching; "
        "a smaller one looks up each line's candidates by index.",
    )
    # Gateways: secrets and keys (PEM text) used to verify webhooks.
    stripe_webhook_secret: str | None = None
    stripe_tolerance_seconds: int = 300
    alipay_public_key: str | None = Field(
        default=None, description="Alipay's RSA public key (PEM) for RSA2 signatures."
    )
    alipay_app_id: str | None = None
    alipay_seller_id: str | None = None
    wechatpay_public_key: str | None = Field(default=None, description="WeChat Pay platform public key (PEM).")
    wechatpay_serial: str | None = Field(
        default=None, description="Serial / PUB_KEY_ID of that key; others are refused."
    )
    wechatpay_apiv3_key: str | None = Field(default=None, description="The 32-byte APIv3 key that decrypts resources.")
    wechatpay_mchid: str | None = None
    wechatpay_tolerance_seconds: int = 300
    standard_webhook_secret: str | None = Field(default=None, description="whsec_… secret of the generic endpoint.")
    standard_webhook_tolerance_seconds: int = 300
    # Gateways: making orders there (checkout), for the customer's hosted page. Each gateway is offered once its
    # keys are set; the URLs are the real gateways' unless pointed elsewhere (a sandbox, the tests' fakes).
    webhook_base_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Where the gateways reach reconciliation's webhooks: an order's notify_url is this + /webhooks/….",
    )
    alipay_gateway_url: str = Field(
        default="https://openapi.alipay.com/gateway.do", description="Alipay's open-platform gateway."
    )
    alipay_app_private_key: str | None = Field(
        default=None, description="The app's RSA private key (PEM) that signs requests to Alipay (RSA2)."
    )
    wechatpay_api_url: str = Field(default="https://api.mch.weixin.qq.com", description="WeChat Pay API v3.")
    wechatpay_appid: str | None = Field(default=None, description="The appid Native orders are made for.")
    wechatpay_merchant_private_key: str | None = Field(
        default=None, description="The merchant's API private key (PEM) that signs requests to WeChat Pay."
    )
    wechatpay_merchant_serial: str | None = Field(default=None, description="Serial of the merchant API certificate.")
    stripe_api_url: str = Field(default="https://api.stripe.com", description="Stripe's API.")
    stripe_secret_key: str | None = Field(default=None, description="sk_… key that makes Checkout Sessions.")
    checkout_minutes: int = Field(
        default=30, ge=1, le=1440, description="An order made at a gateway closes this long after it is made."
    )
    checkout_query_after_minutes: int = Field(
        default=5,
        ge=1,
        description="An open order whose callback has not come this long after it was made (and again each such "
        "interval) is asked of its gateway; a paid answer is booked as its callback would be.",
    )
