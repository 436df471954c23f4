"""Charts drawn on the server as SVG: bars, a funnel, a weekly line. No script runs in the page
(the Content-Security-Policy allows none), nothing is fetched, and the page prints as it shows.

Every label is escaped here (`markupsafe.escape`); colours come from the stylesheet (classes),
never from a `style` attribute, which the policy would refuse."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
ROW = 26
LABEL = 210


def _svg(height: int, title: str, body: list[str], width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(title: str, items: Sequence[tuple[str, float, str]], *, css: str = "bar") -> Markup:
    """Horizontal bars: (label, value, value as shown) per row, in the order given."""
    if not items:
        return Markup("")
    top = max(v for _, v, _ in items) or 1
    span = WIDTH - LABEL - 70
    body = []
    for i, (label, value, shown) in enumerate(items):
        y = i * ROW + 4
        w = max(int(span * value / top), 1 if value else 0)
        body.append(
            f'<text class="label" x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="{css}" x="{LABEL}" y="{y}" width="{w}" height="{ROW - 8}" rx="3"/>'
            f'<text class="value" x="{LABEL + w + 6}" y="{y + 15}">{escape(shown)}</text>'
        )
    return _svg(len(items) * ROW + 8, title, body)


def funnel(title: str, items: Sequence[tuple[str, float, str]]) -> Markup:
    """A funnel: one centred bar per step, as wide as the count that reached it."""
    if not items:
        return Markup("")
    top = max(v for _, v, _ in items) or 1
    span = WIDTH - LABEL - 20
    centre = LABEL + span // 2
    body = []
    for i, (label, value, shown) in enumerate(items):
        y = i * ROW + 4
        w = max(int(span * value / top), 2 if value else 0)
        body.append(
            f'<text class="label" x="{LABEL - 8}" y="{y + 15}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="funnel" x="{centre - w // 2}" y="{y}" width="{w}" height="{ROW - 6}" rx="2"/>'
            f'<text class="value inside" x="{centre}" y="{y + 15}" text-anchor="middle">{escape(shown)}</text>'
        )
    return _svg(len(items) * ROW + 8, title, body)


def lines(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]) -> Markup:
    """A line per series over the weeks: (name, values, css class); a legend below."""
    if not x_labels or not series:
        return Markup("")
    left, right, top_pad, plot_h = 44, 16, 12, 200
    width = WIDTH
    top = max((max(values) for _, values, _ in series if values), default=0) or 1
    n = len(x_labels)
    step = (width - left - right) / max(n - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top_pad + plot_h - plot_h * v / top

    body = [
        f'<line class="axis" x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}"/>',
        f'<text class="tick" x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{escape(_fmt(top))}</text>',
        f'<text class="tick" x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(x_labels):
        if i % 2 == 0 or i == n - 1:
            body.append(
                f'<text class="tick" x="{x(i):.1f}" y="{top_pad + plot_h + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for name, values, css in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="line {css}" points="{points}"/>')
        for i, v in enumerate(values):
            body.append(
                f'<circle class="dot {css}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3">'
                f"<title>{escape(name)} {escape(x_labels[i])}: {escape(_fmt(v))}</title></circle>"
            )
    legend_y = top_pad + plot_h + 36
    for j, (name, _values, css) in enumerate(series):
        lx = left + j * 150
        body.append(
            f'<rect class="swatch {css}" x="{lx}" y="{legend_y - 9}" width="12" height="12" rx="2"/>'
            f'<text class="label" x="{lx + 18}" y="{legend_y + 1}">{escape(_short(name, 22))}</text>'
        )
    return _svg(legend_y + 12, title, body, width)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"
