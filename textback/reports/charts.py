"""Charts as inline SVG, drawn in Python: bars, lines and a heat map. Pure: data in, markup out.

Each chart is a `Chart`: its SVG (scaled by its viewBox, so it fits a phone), a sentence that says what it
shows (the SVG's text alternative and the figure's caption) and its numbers as a table (head and rows) for
the page to put under it. No data at all gives no SVG, only the `empty` sentence. Every label is escaped;
colours are presentation attributes (the Content-Security-Policy forbids inline styles)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360  # narrow, so that the text stays readable when a phone scales the chart down
FONT = 12
COLOURS = ("#0b6bcb", "#e07b00", "#17803d", "#8e44ad", "#a33a00")
HEAT = "#a33a00"
EMPTY_CELL = "#eef0f3"
INK, MUTED, GRID = "#1d2430", "#5f6b7a", "#d9dee5"
NO_CALLS = "No calls in this period."


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str  # the text alternative: what the chart shows, in a sentence
    svg: SafeString | None  # None: nothing to draw (`empty` says so)
    head: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    empty: str = NO_CALLS


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above value (an axis's top that reads well); 1 for 0."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(  # every piece of text in `body` was escaped where it was made
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" font-size="{FONT}" '
        f'font-family="system-ui, sans-serif">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, words: str, anchor: str = "middle", fill: str = MUTED) -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{fill}">{escape(words)}</text>'


def _every(n: int, room: int) -> int:
    """Label every k-th of n x positions so that at most `room` labels are written."""
    return max(1, math.ceil(n / room))


@dataclass(frozen=True)
class _Plot:
    left: int = 34
    right: int = 8
    top: int = 24
    bottom: int = 26
    height: int = 200

    @property
    def width(self) -> int:
        return WIDTH - self.left - self.right

    @property
    def inner(self) -> int:
        return self.height - self.top - self.bottom

    def y(self, value: float, ceiling: float) -> float:
        return self.top + self.inner - value / ceiling * self.inner

    def axis(self, ceiling: float) -> list[str]:
        out = []
        for share in (0, 0.5, 1):
            if share == 0.5 and ceiling % 2 and ceiling >= 1:
                continue  # a count axis has no half-way tick of 2.5
            y = self.y(ceiling * share, ceiling)
            out.append(
                f'<line x1="{self.left}" x2="{WIDTH - self.right}" y1="{_num(y)}" y2="{_num(y)}" stroke="{GRID}"/>'
            )
            out.append(_text(self.left - 5, y + 4, _num(ceiling * share), "end"))
        return out

    def x_labels(self, labels: list[str], centre) -> list[str]:
        k = _every(len(labels), 7)
        return [_text(centre(i), self.height - 8, label) for i, label in enumerate(labels) if i % k == 0]


def bars(title: str, labels: list[str], values: list[float], *, summary: str = "", empty: str = NO_CALLS) -> Chart:
    """One bar per label; heights proportional to the values, on an axis from 0."""
    head, rows = ["", title], [[label, value] for label, value in zip(labels, values, strict=True)]
    if not any(values):
        return Chart(title, empty, None, head, rows, empty)
    plot = _Plot()
    ceiling = nice_ceiling(max(values))
    slot = plot.width / len(values)
    body = plot.axis(ceiling)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = value / ceiling * plot.inner
        x = plot.left + i * slot + slot * 0.1
        body.append(
            f'<rect class="bar" x="{_num(x)}" y="{_num(plot.top + plot.inner - height)}" width="{_num(slot * 0.8)}" '
            f'height="{_num(height)}" fill="{COLOURS[0]}"><title>{escape(label)}: {_num(value)}</title></rect>'
        )
    body += plot.x_labels(labels, lambda i: plot.left + (i + 0.5) * slot)
    summary = summary or _peak_sentence(title, labels, values)
    return Chart(title, summary, _svg(plot.height, summary, body), head, rows, empty)


def horizontal_bars(title: str, labels: list[str], values: list[float], *, summary: str = "",
                    empty: str = NO_CALLS) -> Chart:  # fmt: skip
    """One bar per label, lying down with its label on the left and its value at its end: bucket labels such
    as "15–30 min" stay whole on a phone."""
    head, rows = ["", title], [[label, value] for label, value in zip(labels, values, strict=True)]
    if not any(values):
        return Chart(title, empty, None, head, rows, empty)
    left, right, row = 68, 34, 22
    highest = max(values)
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * row
        length = value / highest * (WIDTH - left - right)
        body.append(_text(left - 6, y + 15, label, "end", INK))
        body.append(
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{_num(length)}" height="{row - 6}" '
            f'fill="{COLOURS[0]}"><title>{escape(label)}: {_num(value)}</title></rect>'
        )
        body.append(_text(left + length + 4, y + 15, _num(value), "start"))
    summary = summary or _peak_sentence(title, labels, values)
    return Chart(title, summary, _svg(8 + row * len(values), summary, body), head, rows, empty)


def lines(title: str, labels: list[str], series: list[tuple[str, list[float]]], *, summary: str = "",
          empty: str = NO_CALLS) -> Chart:  # fmt: skip
    """One line per series over the labels (days or weeks), with a legend on top."""
    head = ["", *(name for name, _ in series)]
    rows = [[label, *(values[i] for _, values in series)] for i, label in enumerate(labels)]
    highest = max((max(values, default=0) for _, values in series), default=0)
    if not highest:
        return Chart(title, empty, None, head, rows, empty)
    plot = _Plot()
    ceiling = nice_ceiling(highest)
    step = plot.width / max(1, len(labels) - 1) if len(labels) > 1 else 0

    def x(i: int) -> float:
        return plot.left + i * step if len(labels) > 1 else plot.left + plot.width / 2

    body = plot.axis(ceiling)
    legend_x = plot.left
    for n, (name, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{_num(x(i))},{_num(plot.y(v, ceiling))}" for i, v in enumerate(values))
        dashes = ' stroke-dasharray="5 3"' if n % 2 else ""  # equal series stay visible one over the other
        body.append(
            f'<polyline class="series" points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>'
        )
        if len(values) <= 31:
            body += [
                f'<circle cx="{_num(x(i))}" cy="{_num(plot.y(v, ceiling))}" r="2.5" fill="{colour}">'
                f"<title>{escape(name)}, {escape(labels[i])}: {_num(v)}</title></circle>"
                for i, v in enumerate(values)
            ]
        body.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{colour}"/>')
        body.append(_text(legend_x + 14, 15, name, "start", INK))
        legend_x += 22 + len(name) * 7.5
    body += plot.x_labels(labels, x)
    summary = summary or f"{title}: " + "; ".join(f"{name} {_num(sum(values))} in all" for name, values in series)
    return Chart(title, summary, _svg(plot.height, summary, body), head, rows, empty)


def heat_map(title: str, grid: list[list[int]], row_labels: list[str], column_labels: list[str], *,
             empty: str = NO_CALLS) -> Chart:  # fmt: skip
    """grid[row][column] as cells shaded by their share of the busiest cell (rows: weekdays, columns: hours)."""
    head = ["", *column_labels]
    rows = [[label, *values] for label, values in zip(row_labels, grid, strict=True)]
    highest = max((max(row, default=0) for row in grid), default=0)
    if not highest:
        return Chart(title, empty, None, head, rows, empty)
    left, top, gap = 34, 18, 1.5
    cell_w = (WIDTH - left - 4) / len(column_labels)
    cell_h = 20
    body = []
    k = _every(len(column_labels), 8)
    for c, label in enumerate(column_labels):
        if c % k == 0:
            body.append(_text(left + c * cell_w, 12, label, "start"))
    for r, (label, values) in enumerate(zip(row_labels, grid, strict=True)):
        y = top + r * cell_h
        body.append(_text(left - 5, y + cell_h / 2 + 4, label, "end"))
        for c, value in enumerate(values):
            shade = (
                f'fill="{HEAT}" fill-opacity="{0.12 + 0.88 * value / highest:.2f}"' if value else f'fill="{EMPTY_CELL}"'
            )
            body.append(
                f'<rect class="cell" x="{_num(left + c * cell_w)}" y="{_num(y)}" width="{_num(cell_w - gap)}" '
                f'height="{_num(cell_h - gap)}" {shade}><title>{escape(label)} {escape(column_labels[c])}: '
                f"{value}</title></rect>"
            )
    r, c = max(((r, c) for r in range(len(grid)) for c in range(len(grid[r]))), key=lambda rc: grid[rc[0]][rc[1]])
    summary = f"{title}: the busiest is {row_labels[r]} at {column_labels[c]} ({highest})."
    return Chart(title, summary, _svg(top + cell_h * len(grid) + 4, summary, body), head, rows, empty)


def _peak_sentence(title: str, labels: list[str], values: list[float]) -> str:
    peak = max(range(len(values)), key=lambda i: values[i])
    return f"{title}: {_num(sum(values))} in all, the most in {labels[peak]} ({_num(values[peak])})."
