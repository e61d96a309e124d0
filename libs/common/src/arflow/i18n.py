"""The caller's language for what a person reads in an API answer: English or Chinese.

`Accept-Language: zh-CN` (or any `zh…`) asks for Chinese; anything else, or
nothing, gets English, the language integrators read. Validation messages are
written here for people, per kind of error, instead of the validator's wording.
"""

from __future__ import annotations

from typing import Any, Literal

Language = Literal["en", "zh-CN"]


def preferred_language(accept_language: str | None) -> Language:
    """The language of an `Accept-Language` header, by its q-values: `zh-CN` or `en`."""
    best: tuple[float, Language] = (0.0, "en")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language: Language | None = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if language is not None and quality > best[0]:
            best = (quality, language)
    return best[1]


_WHOLE = ("Must be a whole number.", "必须是整数。")
_BOOLEAN = ("Must be true or false.", "必须是 true 或 false。")
_ID = ("Must be an id (a UUID).", "必须是 ID（UUID）。")
_DATE = ("Must be a date, YYYY-MM-DD.", "必须是日期，格式 YYYY-MM-DD。")
_INSTANT = (
    "Must be a date and time, e.g. 2026-01-31T09:00:00+08:00.",
    "必须是日期时间，例如 2026-01-31T09:00:00+08:00。",
)
_CHOICE = ("Must be one of: {expected}.", "必须是以下之一：{expected}。")
_OBJECT = ("Must be an object.", "必须是对象。")
_JSON = ("The body is not valid JSON.", "请求体不是有效的 JSON。")

# pydantic's error type -> (English, Chinese); {placeholders} come from the error's context.
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("This field is required.", "此字段为必填项。"),
    "string_nul": ("Text must not contain the NUL character (U+0000).", "文本不能包含 NUL 字符（U+0000）。"),
    "extra_forbidden": ("This field is not allowed here.", "此处不允许该字段。"),
    "string_type": ("Must be text.", "必须是文本。"),
    "string_too_short": ("Must be at least {min_length} character(s) long.", "至少需要 {min_length} 个字符。"),
    "string_too_long": ("Must be at most {max_length} character(s) long.", "最多 {max_length} 个字符。"),
    "string_pattern_mismatch": ("Does not have the expected format.", "格式不正确。"),
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": ("Must be a whole number, without decimals.", "必须是整数，不能有小数。"),
    "float_parsing": ("Must be a number.", "必须是数字。"),
    "decimal_parsing": ("Must be a decimal number, e.g. 1200.00.", "必须是十进制数字，例如 1200.00。"),
    "decimal_type": (
        'Must be a decimal number in a string, e.g. "1200.00".',
        '必须是字符串形式的十进制数字，例如 "1200.00"。',
    ),
    "decimal_max_places": ("Has more than {decimal_places} decimal place(s).", "小数位数超过 {decimal_places} 位。"),
    "decimal_max_digits": ("Has more than {max_digits} digits.", "数字位数超过 {max_digits} 位。"),
    "decimal_whole_digits": (
        "Has more than {whole_digits} digits before the point.",
        "整数部分超过 {whole_digits} 位。",
    ),
    "finite_number": ("Must be a finite number.", "必须是有限的数字。"),
    "greater_than": ("Must be greater than {gt}.", "必须大于 {gt}。"),
    "greater_than_equal": ("Must be {ge} or more.", "必须大于或等于 {ge}。"),
    "less_than": ("Must be less than {lt}.", "必须小于 {lt}。"),
    "less_than_equal": ("Must be {le} or less.", "必须小于或等于 {le}。"),
    "bool_type": _BOOLEAN,
    "bool_parsing": _BOOLEAN,
    "uuid_type": _ID,
    "uuid_parsing": _ID,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": ("Must be a date without a time.", "必须是不含时间的日期。"),
    "datetime_type": _INSTANT,
    "datetime_parsing": _INSTANT,
    "datetime_from_date_parsing": _INSTANT,
    "timezone_aware": ("Must carry a time zone offset (e.g. +08:00 or Z).", "必须带时区偏移（例如 +08:00 或 Z）。"),
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "list_type": ("Must be a list.", "必须是列表。"),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "too_short": ("Must have at least {min_length} item(s).", "至少需要 {min_length} 项。"),
    "too_long": ("Must have at most {max_length} item(s).", "最多 {max_length} 项。"),
    "json_invalid": _JSON,
    "json_type": _JSON,
    "url_parsing": ("Must be a URL.", "必须是网址。"),
}


class Invalid(ValueError):
    """What a custom validator raises: the sentence in English and in Chinese (the answer picks the caller's).

    A ValueError, so pydantic makes it a `value_error` as before and its English is `str(error)`.
    """

    def __init__(self, english: str, chinese: str) -> None:
        super().__init__(english)
        self.english = english
        self.chinese = chinese

    def in_language(self, language: Language) -> str:
        return self.chinese if language == "zh-CN" else self.english


def validation_message(error: dict[str, Any], language: Language) -> str:
    """A person's sentence for one validation error; a custom validator's own message is kept as it is,
    in the caller's language when it raised `Invalid`."""
    kind = str(error.get("type", ""))
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, Invalid):
        return raised.in_language(language)
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    templates = _MESSAGES.get(kind)
    if templates is None:
        return str(error.get("msg", ""))
    template = templates[1] if language == "zh-CN" else templates[0]
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return str(error.get("msg", ""))
