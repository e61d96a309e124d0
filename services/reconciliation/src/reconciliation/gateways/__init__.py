"""Gateways: Alipay, WeChat Pay, Stripe and Standard Webhooks notifications, verified and booked once."""
