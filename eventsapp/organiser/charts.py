"""Bar charts as SVG geometry, computed here so the template only draws what it is given.

Each chart also goes out as a data table in the page: the SVG is hidden from assistive
technology and the table carries the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, BASELINE, LEFT = 640, 240, 200, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE


def bar_chart(title: str, points: list[tuple[str, int]]) -> BarChart:
    if not points:
        return BarChart(title, [])
    top = max(value for _, value in points) or 1
    slot = (WIDTH - 2 * LEFT) / len(points)
    bars = []
    for i, (label, value) in enumerate(points):
        height = (BASELINE - 24) * value / top
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(BASELINE - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=label,
                value=value,
            )
        )
    return BarChart(title, bars)
