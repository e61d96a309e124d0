"""Charts drawn on the server as SVG: a line chart and a bar chart, no script, no build step (pure: no I/O).

The SVG scales to its container (viewBox, width 100%), so one drawing serves a
laptop and a phone. Figures arrive as Decimal; they become floats only as pixel
positions, never as figures shown: every label is the Decimal formatted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup

PALETTE = ("#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#b42318", "#0e7490")
FONT = 'font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal | None]  # one per label; None is a gap (no figure for that period)


def _nice_step(span: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that splits `span` into about `ticks` parts."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(10) ** (raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _axis(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """(low, high, step) of a y axis that holds every value and zero."""
    low, high = min([Decimal(0), *values]), max([Decimal(0), *values])
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    high = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    if high == low:
        high = low + step
    return low, high, step


def plain(value: Decimal) -> str:
    """An axis label: thousands separated, no trailing zeros."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12"><title>{escape(label)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _grid(
    low: Decimal, high: Decimal, step: Decimal, y: Callable[[Decimal], float], left: int, right: int, fmt: str
) -> list[str]:
    lines = []
    tick = low
    while tick <= high:
        at = y(tick)
        stroke = "#9aa5b1" if tick == 0 else "#e4e7eb"
        lines.append(f'<line x1="{left}" x2="{right}" y1="{at:.1f}" y2="{at:.1f}" stroke="{stroke}"/>')
        text = plain(tick) + fmt
        lines.append(f'<text x="{left - 6}" y="{at + 4:.1f}" text-anchor="end" fill="#616e7c">{escape(text)}</text>')
        tick += step
    return lines


def _legend(names: Sequence[str], left: int, top: int) -> list[str]:
    parts, x = [], left
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{top - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{top}" fill="#1f2933">{escape(name)}</text>')
        x += 24 + 13 * len(name)
    return parts


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, label: str, unit: str = "", width: int = 640, height: int = 240
) -> Markup:
    """One line per series over the labels (periods); a dot marks each figure, a gap where there is none."""
    left, right, top, bottom = 64, width - 16, 28, height - 28
    figures = [v for s in series for v in s.values if v is not None]
    low, high, step = _axis(figures or [Decimal(0)])

    def x(index: int) -> float:
        return left + (right - left) * (index + 0.5) / max(len(labels), 1)

    def y(value: Decimal) -> float:
        return bottom - (bottom - top) * float((value - low) / (high - low))

    body = _grid(low, high, step, y, left, right, unit)
    every = max(1, len(labels) // 8)  # at most eight period labels: a phone's width holds no more
    for index, name in enumerate(labels):
        if index % every == 0:
            body.append(
                f'<text x="{x(index):.1f}" y="{height - 8}" text-anchor="middle" fill="#616e7c">{escape(name)}</text>'
            )
    for number, s in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        path: list[str] = []
        for index, value in enumerate(s.values):
            if value is None:
                path.append("")
                continue
            path.append(f"{x(index):.1f},{y(value):.1f}")
            body.append(
                f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(labels[index])}: {escape(plain(value) + unit)}</title></circle>"
            )
        for run in " ".join(path).split("  "):
            if run.strip() and " " in run.strip():
                body.append(f'<polyline points="{run.strip()}" fill="none" stroke="{colour}" stroke-width="2"/>')
    body += _legend([s.name for s in series], left, 16)
    return _svg(width, height, label, body)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    unit: str = "",
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Grouped bars: for each label one bar per series, its figure above it."""
    left, right, top, bottom = 64, width - 16, 28, height - 28
    figures = [v for s in series for v in s.values if v is not None]
    low, high, step = _axis(figures or [Decimal(0)])

    def y(value: Decimal) -> float:
        return bottom - (bottom - top) * float((value - low) / (high - low))

    body = _grid(low, high, step, y, left, right, unit)
    slot = (right - left) / max(len(labels), 1)
    bar = slot * 0.7 / max(len(series), 1)
    for index, name in enumerate(labels):
        centre = left + slot * (index + 0.5)
        body.append(
            f'<text x="{centre:.1f}" y="{height - 8}" text-anchor="middle" fill="#616e7c">{escape(name)}</text>'
        )
        for number, s in enumerate(series):
            value = s.values[index]
            if value is None:
                continue
            colour = PALETTE[number % len(PALETTE)]
            x0 = centre - slot * 0.35 + bar * number
            y0, y1 = sorted((y(value), y(Decimal(0))))
            size = f'width="{bar - 2:.1f}" height="{max(y1 - y0, 0.5):.1f}"'
            body.append(
                f'<rect x="{x0:.1f}" y="{y0:.1f}" {size} fill="{colour}">'
                f"<title>{escape(name)} · {escape(s.name)}: {escape(plain(value) + unit)}</title></rect>"
            )
    if len(series) > 1:
        body += _legend([s.name for s in series], left, 16)
    return _svg(width, height, label, body)
