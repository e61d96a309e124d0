"""Typed errors of the deliveries of issued documents."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound


class DeliveryNotFound(NotFound):
    code, title, title_zh = "delivery_not_found", "Delivery not found", "发送记录不存在"


class DeliveryAlreadyQueued(Conflict):
    code, title, title_zh = "delivery_already_queued", "The delivery is queued already", "该发送记录已在发送队列中"


class DeliveryNoRecipient(Conflict):
    code, title, title_zh = "delivery_no_recipient", "Nobody to send it to", "没有可发送的联系人"
