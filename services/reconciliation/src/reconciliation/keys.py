"""How invoice numbers, references, payer names and accounts are compared: the keys they are stored and looked up by.

Pure: no I/O. The open-item projection stores these keys in indexed columns
(`number_key`, `reference_key`, `name_key`, the name bigrams) and the matching
engine computes the same ones from a payment's text, so both sides meet.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

from rapidfuzz import fuzz, process

NAME_FUZZY_CUTOFF = 85.0
_COMPANY_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团公司",
        "集团",
        "分公司",
        "公司",
        "co., ltd.",
        "co.,ltd.",
        "co. ltd.",
        "co., ltd",
        "co.,ltd",
        "co ltd",
        "company limited",
        "limited",
        "ltd.",
        "ltd",
        "inc.",
        "inc",
        "corporation",
        "corp.",
        "corp",
        "gmbh",
        "llc",
        "company",
        "co.",
    ],
    key=len,
    reverse=True,
)
_REGIONS = [
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "厦门",
    "宁波",
    "青岛",
    "大连",
    "沈阳",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
    "无锡",
    "东莞",
    "佛山",
    "昆明",
    "哈尔滨",
    "长春",
    "石家庄",
    "太原",
    "南昌",
    "南宁",
    "贵阳",
    "兰州",
    "珠海",
    "温州",
]
_REGION_PREFIX = re.compile(
    "^(?:" + "|".join(sorted(_REGIONS, key=len, reverse=True)) + ")(?:省|市|自治区|特别行政区)?"
)
_SUFFIX = re.compile("(?:" + "|".join(re.escape(s) for s in _COMPANY_SUFFIXES) + r")\s*$")
_BRACKETED = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_NON_ALNUM = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


def half_width(text: str) -> str:
    """Full-width letters, digits and punctuation as ASCII (NFKC), e.g. ＩＮＶ－２０２６ → INV-2026."""
    if text.isascii():
        return text  # NFKC leaves ASCII as it is; most texts are
    return unicodedata.normalize("NFKC", text)


# The company forms by their last character, longest first: stripping one is a few endswith calls
# (the same as _SUFFIX.sub, whose leftmost match at the end is the longest form the text ends with).
_SUFFIXES_BY_LAST: dict[str, tuple[str, ...]] = {}
for _suffix in _COMPANY_SUFFIXES:
    _SUFFIXES_BY_LAST[_suffix[-1]] = (*_SUFFIXES_BY_LAST.get(_suffix[-1], ()), _suffix)
# A region prefix starts with one of these pairs of characters (every region has two or more).
_REGION_STARTS = frozenset(region[:2] for region in _REGIONS)
_BRACKET_OPENERS = re.compile(r"[(\[（【]")


def _strip_company_form(text: str) -> str:
    """`_SUFFIX.sub("", text)` without scanning the text: the longest company form it ends with, gone."""
    trimmed = text.rstrip()
    for suffix in _SUFFIXES_BY_LAST.get(trimmed[-1:], ()):
        if trimmed.endswith(suffix):
            return trimmed[: -len(suffix)]
    return text


def _strip_region(text: str) -> str:
    """`_REGION_PREFIX.sub("", text)`, the pattern tried only when the text starts like a region."""
    if text[:2] not in _REGION_STARTS:
        return text
    return _REGION_PREFIX.sub("", text)


@functools.lru_cache(maxsize=65536)
def normalise_name(name: str | None) -> str:
    """A company name's distinctive core: no region prefix, company form, brackets, case or punctuation."""
    if not name:
        return ""
    text = half_width(name).lower().strip()
    if _BRACKET_OPENERS.search(text) is not None:
        text = _BRACKETED.sub("", text)
    changed = True
    while changed:
        changed = False
        stripped = _strip_company_form(text).rstrip(" ,.")
        if stripped != text and stripped:
            text, changed = stripped, True
        stripped = _strip_region(text)
        if stripped != text and stripped:
            text, changed = stripped, True
    return _NON_ALNUM.sub("", text)


_NOT_REFERENCE = re.compile(r"[^0-9A-Z]")


def reference_key(token: str | None) -> str:
    """An invoice number or reference as compared: half-width, upper case, letters and digits only."""
    if not token:
        return ""
    return _reference_key(token)


@functools.lru_cache(maxsize=131072)
def _reference_key(token: str) -> str:
    return _NOT_REFERENCE.sub("", half_width(token).upper())


_TOKEN = re.compile(r"[0-9A-Z]+")


def text_keys(text: str | None, *, longest: int = 6, shortest_key: int = 6) -> frozenset[str]:
    """Every run of up to `longest` adjacent tokens of a text, joined: the keys a reference may appear as."""
    if not text:
        return _NO_KEYS
    last = _last_text_keys.get((longest, shortest_key))
    if last is not None and last[0] == text:
        return last[1]  # (the text a payment's candidates each look at again)
    # Texts naming nothing repeat a lot (服务费, 货款, a gateway's subject) and are remembered; a text
    # naming a reference is nearly always new (its invoice's number) and is not kept alive for nothing.
    nothing = _TEXTS_NAMING_NOTHING.get((longest, shortest_key))
    if nothing is None:
        nothing = _TEXTS_NAMING_NOTHING[(longest, shortest_key)] = set()
    elif text in nothing:
        return _NO_KEYS
    keys = _text_keys(text, longest, shortest_key)
    _last_text_keys[(longest, shortest_key)] = (text, keys)
    if not keys:
        if len(nothing) >= 65536:
            nothing.clear()
        nothing.add(text)
    return keys


_NO_KEYS: frozenset[str] = frozenset()
# The last text's keys, per kind of key: each candidate of a payment looks at its text again.
_last_text_keys: dict[tuple[int, int], tuple[str, frozenset[str]]] = {}
_TEXTS_NAMING_NOTHING: dict[tuple[int, int], set[str]] = {}


def clear_caches() -> None:
    """Forget every text and name seen (a bench measuring a cold start does this between runs)."""
    _TEXTS_NAMING_NOTHING.clear()
    _last_text_keys.clear()
    normalise_name.cache_clear()
    _reference_key.cache_clear()
    account_key.cache_clear()


def _text_keys(text: str, longest: int, shortest_key: int) -> frozenset[str]:
    tokens = _TOKEN.findall(half_width(text).upper())
    if len(tokens) == 1:  # a bare reference (RF…, an order number): the common case
        return frozenset(tokens) if len(tokens[0]) >= shortest_key else _NO_KEYS
    keys: set[str] = set()
    for start in range(len(tokens)):
        joined = ""
        for token in tokens[start : start + longest]:
            joined += token
            if len(joined) >= shortest_key:
                keys.add(joined)
    return frozenset(keys)


def outermost_keys(text: str, keys: Sequence[str], *, longest: int = 6) -> list[str]:
    """Those of `keys` (text_keys of `text`) that are not only ever part of a longer one of them, by tokens.

    "RF97 INV2 0240 0000 1" joins up to INV202400000 on its way to INV2024000001 and RF97INV2024000001:
    when those name documents, the shorter runs inside them are parts of their spelling, not documents.
    Two numbers side by side ("INV-1 INV-2") are each a run of their own and both stay.
    """
    tokens = _TOKEN.findall(half_width(text).upper())
    wanted = set(keys)
    spans: dict[str, list[tuple[int, int]]] = {key: [] for key in wanted}
    for start in range(len(tokens)):
        joined = ""
        for end in range(start, min(start + longest, len(tokens))):
            joined += tokens[end]
            if joined in wanted:
                spans[joined].append((start, end))
    every = [(a, b, key) for key, found in spans.items() for a, b in found]

    def inside_another(key: str, a: int, b: int) -> bool:
        return any(x <= a and b <= y and (x, y) != (a, b) and other != key for x, y, other in every)

    return [key for key in keys if not spans[key] or not all(inside_another(key, a, b) for a, b in spans[key])]


_NOT_ACCOUNT = re.compile(r"[^0-9A-Za-z@._-]")


@functools.lru_cache(maxsize=65536)
def account_key(account: str) -> str:
    return _NOT_ACCOUNT.sub("", half_width(account)).upper()


def name_bigrams(text: str) -> set[str]:
    """A normalised name's distinct character bigrams (the name itself when it is one character)."""
    return {text[n : n + 2] for n in range(len(text) - 1)} or {text}


@functools.lru_cache(maxsize=256)
def _max_bigrams_lost(length: int) -> int:
    """How many of its bigrams a name of `length` can lose and still be within the fuzzy cutoff of what it became.

    fuzz.ratio is 100 · (1 − d / (m + n)) for an Indel distance d = insertions + deletions; a deletion
    destroys at most two bigrams of the name, an insertion at most one.
    """
    most = 0
    for other in range(1, 3 * length + 3):
        for distance in range(abs(length - other), length + other + 1, 2):
            if 100 * (1 - distance / (length + other)) >= NAME_FUZZY_CUTOFF - 1e-9:
                deletions = (distance - (other - length)) // 2
                insertions = distance - deletions
                most = max(most, 2 * deletions + insertions)
    return most


def rarest_bigrams(key: str, frequency: Callable[[str], int]) -> set[str]:
    """Bigrams of `key` at least one of which every name within the fuzzy cutoff of it shares.

    Such a name keeps at least `needed` of the key's distinct bigrams, so by pigeonhole it has
    one of any len - needed + 1 of them: the rarest by `frequency` are the cheapest to look up.
    """
    grams = name_bigrams(key)
    needed = len(grams) - _max_bigrams_lost(len(key))
    if needed <= 1:
        return grams
    return set(sorted(grams, key=frequency)[: len(grams) - needed + 1])


def similar_names(key: str, names: Sequence[str], limit: int = 3) -> list[str]:
    """The (at most `limit`) normalised names within the fuzzy cutoff of a normalised name `key`."""
    found = process.extract(key, names, scorer=fuzz.ratio, score_cutoff=NAME_FUZZY_CUTOFF, limit=limit)
    return [name for name, _, _ in found]
