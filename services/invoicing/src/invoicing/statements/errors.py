"""Typed errors of the statement cycle, each with its stable code."""

from __future__ import annotations

from arflow.problems import Conflict, Forbidden, NotFound, Unprocessable


class StatementNotFound(NotFound):
    code, title, title_zh = "statement_not_found", "Statement not found", "对账单不存在"


class StatementLinkNotFound(NotFound):
    code, title, title_zh = "statement_link_not_found", "The statement has no link", "该对账单没有在线链接"


class StatementReplyNotFound(NotFound):
    code, title, title_zh = "statement_reply_not_found", "The statement has no stamped reply", "该对账单没有盖章回函"


class StatementPeriodNotEnded(Unprocessable):
    code, title, title_zh = "statement_period_not_ended", "The period has not ended", "对账期间尚未结束"


class StatementAlreadyAnswered(Conflict):
    code, title, title_zh = "statement_already_answered", "The statement was already answered", "该对账单已回复"


class StatementContentMismatch(Conflict):
    """The answer names a content hash other than the statement's: it was not given to what was shown."""

    code, title, title_zh = "statement_content_mismatch", "The answer is not for this content", "回复与对账单内容不符"


class StatementFormInvalid(Forbidden):
    """The form was not made on this link's own page (no token, another link's, a page from before a rotation)."""

    code, title, title_zh = "statement_form_invalid", "The form is not this page's", "表单已失效"


class StatementAnswerInvalid(Unprocessable):
    code, title, title_zh = "statement_answer_invalid", "The answer is incomplete", "回复内容不完整"


class StatementReplyRejected(Unprocessable):
    code, title, title_zh = "statement_reply_rejected", "The uploaded reply is not accepted", "上传的回函不被接受"


def line_named(key: str) -> tuple[str, str]:
    """A statement line's key ("CNY:2") as a customer reads it, in English and Chinese, for the messages above."""
    currency, _, number = key.partition(":")
    if number.isdigit() and currency.isalpha() and len(currency) == 3:
        return f"entry {number} ({currency.upper()})", f"第 {number} 行（{currency.upper()}）"
    return f"entry “{key[:40]}”", f"明细行“{key[:40]}”"
