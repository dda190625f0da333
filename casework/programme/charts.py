"""Bar charts drawn on the server as SVG: the geometry is worked out here, and the template
(templates/programme/_chart.html) only draws it, so the same chart serves the web page and
the PDF, and no chart library reaches the browser. Every chart sits beside a table of its
numbers; the SVG's title and description say what it shows for screen readers."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from .. import models as m
from .service import FUNNEL, Figures

# GOV.UK colours that stay distinguishable side by side and pass contrast on white.
COLOURS = ("#1d70b8", "#00703c", "#f47738", "#4c2c92", "#d4351c", "#505a5f")
TEXT = "#0b0c0c"
GRID = "#b1b4b6"
FONT = 16  # drawn at about 14px in a half-width column


@dataclasses.dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str


@dataclasses.dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor
    bold: bool = False


@dataclasses.dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = GRID
    dashed: bool = False


@dataclasses.dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    rects: list[Rect]
    texts: list[Text]
    lines: list[Line]
    font_size: int = FONT


def _nice_max(value: float) -> float:
    """A round axis maximum at or above value: 1, 2, 5 or 10 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def _legend(series: Sequence[tuple[str, Sequence[float]]], x: float,
            colours: Sequence[str]) -> tuple[list[Rect], list[Text]]:
    """A key across the top, for charts of more than one series."""
    rects, texts = [], []
    if len(series) < 2:
        return rects, texts
    for i, (name, _) in enumerate(series):
        rects.append(Rect(x, 6, 14, 14, colours[i % len(colours)], name))
        texts.append(Text(x + 20, 6 + 13, name))
        x += 20 + len(name) * 9 + 24
    return rects, texts


def horizontal(
    id: str, title: str, categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]], *, width: int = 520,
    label_width: int = 200, markers: Sequence[tuple[float, str]] = (),
    colours: Sequence[str] = COLOURS,
) -> Chart:
    """Bars left to right, one group a category, one bar a series, each value at its end."""
    bar, gap = 24, 12
    group = bar * len(series)
    top = 8 + (28 if len(series) > 1 else 0)
    plot_width = width - label_width - 70
    peak = _nice_max(max([v for _, values in series for v in values] +
                         [v for v, _ in markers] + [0]))
    rects, texts = _legend(series, label_width, colours)
    lines = []
    for i, category in enumerate(categories):
        y0 = top + i * (group + gap)
        texts.append(Text(label_width - 8, y0 + group / 2 + FONT / 3, category, "end"))
        for j, (name, values) in enumerate(series):
            value = values[i]
            y = y0 + j * bar
            length = plot_width * value / peak
            rects.append(Rect(label_width, y + 2, max(length, 0), bar - 4,
                              colours[j % len(colours)], f"{category}, {name}: {_fmt(value)}"))
            texts.append(Text(label_width + length + 4, y + bar / 2 + FONT / 3, _fmt(value)))
    bottom = top + len(categories) * (group + gap)
    lines.append(Line(label_width, top - 4, label_width, bottom - gap + 4, TEXT))
    for value, label in markers:
        x = label_width + plot_width * value / peak
        lines.append(Line(x, top - 4, x, bottom - gap + 4, TEXT, dashed=True))
        texts.append(Text(x, bottom + 12, label, "middle"))
    height = int(bottom + (24 if markers else 4))
    return Chart(id, title, _describe(title, categories, series), width, height, rects, texts,
                 lines)


def columns(
    id: str, title: str, categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]], *, width: int = 520, height: int = 300,
    colours: Sequence[str] = COLOURS,
) -> Chart:
    """Bars bottom to top, for a time series: one group a category (a month). A category
    label may have two lines ("Jan\n2026")."""
    left, bottom_margin, top = 52, 48, 10 + (28 if len(series) > 1 else 0)
    plot_width, plot_height = width - left - 8, height - top - bottom_margin
    peak = 4 * max(1, _nice_max(max([v for _, values in series for v in values] + [0]) / 4))
    slot = plot_width / max(len(categories), 1)
    bar = min(28.0, slot * 0.8 / len(series))
    rects, texts = _legend(series, left, colours)
    lines = []
    base = top + plot_height
    for tick in range(5):
        value = peak * tick / 4
        y = base - plot_height * tick / 4
        lines.append(Line(left, y, width - 8, y, GRID if tick else TEXT))
        texts.append(Text(left - 6, y + FONT / 3, _fmt(value), "end"))
    for i, category in enumerate(categories):
        x0 = left + i * slot + (slot - bar * len(series)) / 2
        for n, line in enumerate(category.split("\n")):
            texts.append(Text(left + i * slot + slot / 2, base + 20 + 18 * n, line, "middle"))
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = plot_height * value / peak
            rects.append(Rect(x0 + j * bar + 1, base - h, bar - 2, h, colours[j % len(colours)],
                              f"{category}, {name}: {_fmt(value)}"))
    return Chart(id, title, _describe(title, categories, series), width, height, rects, texts,
                 lines)


def _describe(title: str, categories: Sequence[str],
              series: Sequence[tuple[str, Sequence[float]]]) -> str:
    parts = []
    for i, category in enumerate(c.replace("\n", " ") for c in categories):
        values = ", ".join(f"{name} {_fmt(values[i])}" if len(series) > 1 else _fmt(values[i])
                           for name, values in series)
        parts.append(f"{category}: {values}")
    return f"{title}. " + "; ".join(parts) + "."


# The programme's charts ------------------------------------------------------------------------


def costs(f: Figures) -> Chart:
    """The cost analysis's chart: the cohort's and the high-contact families' costs."""
    return horizontal(
        "chart-costs", "Estimated annual cost to agencies, before and after (pounds)",
        ["Whole cohort", "High-contact families"],
        [("Before", [round(f.cohort.before_pence / 100), round(f.high_contact.before_pence / 100)]),
         ("After", [round(f.cohort.after_pence / 100), round(f.high_contact.after_pence / 100)])])


def dashboard(f: Figures) -> dict[str, Chart]:
    """The dashboard's charts, on its page and in the Partnership Board report."""
    labels = {key: label for key, label, _ in FUNNEL}
    return {
        "funnel": horizontal(
            "chart-funnel", "Families at each stage of the programme",
            [labels[k] for k in f.funnel], [("Families", list(f.funnel.values()))]),
        "months": columns(
            "chart-months", "Families identified and attached, by month",
            [row["month"].strftime("%b") + (f"\n{row['month'].year}" if i == 0 or
                                             row["month"].month == 1 else "")
             for i, row in enumerate(f.months)],
            [("Identified", [row["identified"] for row in f.months]),
             ("Attached", [row["attached"] for row in f.months])]),
        "results": horizontal(
            "chart-results", "Attached families by result: met and not met",
            [m.RESULT_LABELS[r] for r in f.results],
            [("Met", [f.results[r]["met"] for r in f.results]),
             ("Not met", [f.results[r]["not_met"] for r in f.results])],
            colours=("#00703c", "#d4351c")),
        "wards": horizontal(
            "chart-wards", "Families attached and with results met, by ward",
            [row["ward"] for row in f.wards],
            [("Attached", [row["attached"] for row in f.wards]),
             ("Results met", [row["results_met"] for row in f.wards])]),
        "workers": horizontal(
            "chart-workers", "Active families per FIP worker",
            [row["worker"] for row in f.workers],
            [("Active families", [row["active"] for row in f.workers])],
            markers=[(f.caseloads["spare_below"], f"{f.caseloads['spare_below']}: spare below"),
                     (f.caseloads["max_active"], f"{f.caseloads['max_active']}: limit")]),
        "costs": costs(f),
    }
