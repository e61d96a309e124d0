"""Content negotiation: the format an `Accept` header prefers among those an endpoint offers.

An explicit `?format=` wins; otherwise `Accept` decides (by q-value, then by
the order the endpoint lists its formats); no header, or `*/*`, gives the
default. A header naming none of the offered types is a 406 that lists them.
"""

from __future__ import annotations

from collections.abc import Mapping

from arflow.problems import Problem


class NotAcceptable(Problem):
    status, code, title, title_zh = 406, "not_acceptable", "Not acceptable", "无法提供所请求的格式"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching `media_type` (type/subtype over type/* over */*)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] | None = None
    for pattern, quality in ranges:
        if pattern == media_type:
            specificity = 2
        elif pattern == f"{kind}/*":
            specificity = 1
        elif pattern == "*/*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best[1] if best else 0.0


def chosen_format(accept: str | None, offered: Mapping[str, str], *, default: str) -> str:
    """The format (a value of `offered`, keyed by media type) the caller's Accept header prefers."""
    if not accept or not accept.strip():
        return default
    ranges = _ranges(accept)
    # Highest q wins; on a tie (`*/*`, `application/*`) the default, then the endpoint's order.
    quality, _, _, fmt = max(
        (_quality(media, ranges), fmt == default, -index, fmt) for index, (media, fmt) in enumerate(offered.items())
    )
    if quality <= 0:
        types = ", ".join(offered)
        raise NotAcceptable(
            f"This resource is available as {types}; the Accept header asks for none of them.",
            detail_zh=f"此资源可提供的格式为 {types}；Accept 请求头未包含其中任何一种。",
        )
    return fmt
