"""Regions of China by administrative division code (GB/T 2260), as a case's region is read from its
customer's unified social credit code (统一社会信用代码, GB 32100): characters 3-8 are the registering
authority's division, whose first two digits name the province.

No I/O. A region on a collector's rules is a division prefix: 2 digits for a province (44 广东), 4 for a
prefecture (4403 深圳), 6 for a county.
"""

from __future__ import annotations

import re

PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京", "Beijing"),
    "12": ("天津", "Tianjin"),
    "13": ("河北", "Hebei"),
    "14": ("山西", "Shanxi"),
    "15": ("内蒙古", "Inner Mongolia"),
    "21": ("辽宁", "Liaoning"),
    "22": ("吉林", "Jilin"),
    "23": ("黑龙江", "Heilongjiang"),
    "31": ("上海", "Shanghai"),
    "32": ("江苏", "Jiangsu"),
    "33": ("浙江", "Zhejiang"),
    "34": ("安徽", "Anhui"),
    "35": ("福建", "Fujian"),
    "36": ("江西", "Jiangxi"),
    "37": ("山东", "Shandong"),
    "41": ("河南", "Henan"),
    "42": ("湖北", "Hubei"),
    "43": ("湖南", "Hunan"),
    "44": ("广东", "Guangdong"),
    "45": ("广西", "Guangxi"),
    "46": ("海南", "Hainan"),
    "50": ("重庆", "Chongqing"),
    "51": ("四川", "Sichuan"),
    "52": ("贵州", "Guizhou"),
    "53": ("云南", "Yunnan"),
    "54": ("西藏", "Tibet"),
    "61": ("陕西", "Shaanxi"),
    "62": ("甘肃", "Gansu"),
    "63": ("青海", "Qinghai"),
    "64": ("宁夏", "Ningxia"),
    "65": ("新疆", "Xinjiang"),
}

# 18 characters: registering department (1), kind (1), division (6 digits), organisation code (9), check (1).
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}(\d{6})[0-9A-HJ-NPQRTUWXY]{10}$")
REGION_PATTERN = r"^\d{2}(\d{2}){0,2}$"


def division_of(uscc: str | None) -> str | None:
    """The 6-digit administrative division of a USCC, or None when there is none or it is malformed or
    names no province (an unknown region matches no region rule, rather than a wrong one)."""
    if not uscc:
        return None
    found = _USCC.match(uscc.strip().upper())
    if found is None or found.group(1)[:2] not in PROVINCES:
        return None
    return found.group(1)


def is_known_region(region: str) -> bool:
    """A 2-, 4- or 6-digit division prefix whose province exists."""
    return re.match(REGION_PATTERN, region) is not None and region[:2] in PROVINCES


def in_regions(division: str | None, regions: frozenset[str]) -> bool:
    """Whether the division lies in one of the regions (none given: every division, even an unknown one)."""
    if not regions:
        return True
    return division is not None and any(division.startswith(r) for r in regions)


def region_names(division: str | None) -> tuple[str, str]:
    """The province a division lies in, in English and Chinese (unknown: said so)."""
    if division is None or division[:2] not in PROVINCES:
        return "an unknown region", "未知地区"
    zh, en = PROVINCES[division[:2]]
    return f"{en} ({division})", f"{zh}（{division}）"
