"""Bar charts drawn on the server as inline SVG: no JavaScript, nothing from third parties.

Each chart is an image with a title and a description listing every figure, and pages show the
same figures in a table beside it. A hidden (suppressed) figure gets no bar, only its words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.services.small_numbers import Cell

WIDTH = 480  # beside a table, in half the page: text shows at about its own size
WIDE = 960  # across the page: text shows at about its own size
ROW_HEIGHT = 30
BAR_HEIGHT = 18
LABEL_WIDTH = 200
WIDE_LABEL_WIDTH = 340
VALUE_SPACE = 100
CHARACTER_WIDTH = 8.5  # 16px Arial, on average
COLUMN_AREA_HEIGHT = 160
COLUMN_LABEL_SPACE = 44
COLUMN_VALUE_SPACE = 20


@dataclass(frozen=True)
class Bar:
    label: str  # as drawn, shortened to fit if need be
    text: str  # the figure as shown: "12", "fewer than 5", "67%"
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    text_x: float
    text_y: float
    sublabel: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    horizontal: bool


def _figure(value: int | float | Cell | None) -> tuple[float | None, str]:
    if isinstance(value, Cell):
        return value.number, value.text
    if value is None:
        return None, "none"
    return value, f"{value:,}"


def _description(title: str, items: list[tuple[str, str]]) -> str:
    return f"{title}: " + "; ".join(f"{label}, {text}" for label, text in items) + "."


def _fit(label: str, space: float) -> str:
    most = int(space / CHARACTER_WIDTH)
    return label if len(label) <= most else label[:most - 1].rstrip() + "…"


def bar_chart(title: str, items: Iterable[tuple[str, int | Cell | None]], *,
              unit: str = "", wide: bool = False) -> Chart:
    """Horizontal bars, one row per category, labels on the left and figures after the bar.

    The description always carries the full labels, even where a drawn one is shortened.
    """
    width, label_width = (WIDE, WIDE_LABEL_WIDTH) if wide else (WIDTH, LABEL_WIDTH)
    figures = [(label, *_figure(value)) for label, value in items]
    largest = max((value for _, value, _ in figures if value), default=0)
    scale = (width - label_width - VALUE_SPACE) / largest if largest else 0
    bars = []
    for row, (label, value, text) in enumerate(figures):
        shown = f"{text}{unit}" if value is not None else text
        top = row * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        length = (value or 0) * scale
        bars.append(Bar(label=_fit(label, label_width - 12), text=shown, x=label_width, y=top,
                        width=round(length, 1), height=BAR_HEIGHT, label_x=label_width - 8,
                        label_y=top + BAR_HEIGHT - 4, text_x=round(label_width + length + 6, 1),
                        text_y=top + BAR_HEIGHT - 4))
    description = _description(title, [(label, f"{text}{unit}" if value is not None else text)
                                       for label, value, text in figures])
    return Chart(title, description, width, max(len(bars), 1) * ROW_HEIGHT, tuple(bars),
                 horizontal=True)


def column_chart(title: str, items: Iterable[tuple[str, str, int | Cell | None]]) -> Chart:
    """Vertical columns for a series over time: (label, sublabel, figure) per column."""
    figures = [(label, sublabel, *_figure(value)) for label, sublabel, value in items]
    largest = max((value for _, _, value, _ in figures if value), default=0)
    scale = COLUMN_AREA_HEIGHT / largest if largest else 0
    slot = WIDE / max(len(figures), 1)
    baseline = COLUMN_VALUE_SPACE + COLUMN_AREA_HEIGHT
    bars = []
    for index, (label, sublabel, value, text) in enumerate(figures):
        height = (value or 0) * scale
        centre = index * slot + slot / 2
        short = text if value is not None else "<5" if "fewer" in text else text
        bars.append(Bar(label=label, sublabel=sublabel, text=short, x=round(index * slot + slot
                        * 0.15, 1), y=round(baseline - height, 1), width=round(slot * 0.7, 1),
                        height=round(height, 1), label_x=round(centre, 1), label_y=baseline + 18,
                        text_x=round(centre, 1), text_y=round(baseline - height - 5, 1)))
    described = [(f"{label} {sublabel}".strip(), text) for label, sublabel, _, text in figures]
    return Chart(title, _description(title, described), WIDE,
                 int(baseline + COLUMN_LABEL_SPACE), tuple(bars), horizontal=False)
