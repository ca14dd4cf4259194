"""Charts and maps as SVG text for the HTML/PDF reports: pure functions, no I/O.

Every function returns one ``<svg>`` element (a string) with a ``viewBox``, so the HTML
scales it to the page width and WeasyPrint draws it as vector graphics in the PDF. Output
is deterministic: coordinates are rounded to 0.1 user units and nothing depends on dict
order or the clock. Class colours come from :func:`class_colours` by the class's position
(best first), never from its letter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

FONT = "Noto Sans CJK SC, Noto Sans CJK, Noto Sans SC, sans-serif"
_GOOD_TO_BAD = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000")
_SEQUENTIAL = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
NO_DATA = "#d9d9d9"
ACCENT = "#2171b5"
SECOND = "#fd8d3c"


def class_colours(classes: Sequence[str]) -> dict[str, str]:
    """A colour per class, from green (first = best) to red (last = worst)."""
    n = len(classes)
    if n == 0:
        return {}
    idx = np.linspace(0, len(_GOOD_TO_BAD) - 2, n) if n > 1 else np.array([0.0])
    return {c: _GOOD_TO_BAD[round(float(i))] for c, i in zip(classes, idx, strict=True)}


def _t(x: float) -> str:
    """A coordinate: 0.1 precision, no trailing zeros, no negative zero."""
    v = round(float(x), 1)
    if v == 0:
        return "0"
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _fmt(v: float, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.{digits}f}"


def _open(width: float, height: float, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_t(width)} {_t(height)}" '
        f'width="100%" font-family="{FONT}" font-size="11" role="img" '
        f'aria-label="{escape(title)}">'
    ]


def _text(
    x: float,
    y: float,
    s: str,
    *,
    anchor: str = "start",
    size: float = 11,
    weight: str = "normal",
    fill: str = "#222",
) -> str:
    return (
        f'<text x="{_t(x)}" y="{_t(y)}" text-anchor="{anchor}" font-size="{_t(size)}" '
        f'font-weight="{weight}" fill="{fill}">{escape(s)}</text>'
    )


def _nice_max(v: float) -> float:
    if v <= 0 or math.isnan(v):
        return 1.0
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


# ------------------------------------------------------------------ charts
def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    highlight: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
    width: float = 640,
    digits: int = 2,
) -> str:
    """Horizontal bars, one per label (in the given order), value printed at the bar end;
    ``highlight`` draws that label's bar in the second colour, ``reference`` a dashed line
    (e.g. the city-wide value)."""
    row, top, left, right = 20.0, 30.0, 150.0, 90.0
    height = top + row * max(len(labels), 1) + 24
    vals = [0.0 if v is None or math.isnan(float(v)) else float(v) for v in values]
    vmax = _nice_max(max([*vals, reference or 0.0, 0.0]))
    span = width - left - right
    out = _open(width, height, title)
    out.append(_text(0, 16, title + (f"（{unit}）" if unit else ""), size=13, weight="bold"))
    for i, (lab, v) in enumerate(zip(labels, vals, strict=True)):
        y = top + i * row
        w = span * max(v, 0.0) / vmax
        colour = SECOND if highlight is not None and lab == highlight else ACCENT
        out.append(_text(left - 6, y + row * 0.65, str(lab)[:14], anchor="end"))
        out.append(
            f'<rect x="{_t(left)}" y="{_t(y + 3)}" width="{_t(w)}" '
            f'height="{_t(row - 6)}" fill="{colour}"/>'
        )
        out.append(_text(left + w + 4, y + row * 0.65, _fmt(v, digits), size=10))
    if reference is not None and not math.isnan(reference):
        x = left + span * reference / vmax
        y1 = top + row * len(labels)
        out.append(
            f'<line x1="{_t(x)}" y1="{_t(top)}" x2="{_t(x)}" y2="{_t(y1)}" '
            f'stroke="#444" stroke-dasharray="4 3"/>'
        )
        out.append(
            _text(
                x, y1 + 14, f"{reference_label} {_fmt(reference, digits)}", anchor="middle", size=10
            )
        )
    out.append("</svg>")
    return "".join(out)


def stacked_share_chart(
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    classes: Sequence[str],
    *,
    title: str,
    width: float = 640,
) -> str:
    """One 100 % bar per label split by class (counts[i][k] = firms of class k)."""
    row, top, left, right = 20.0, 48.0, 150.0, 20.0
    height = top + row * max(len(labels), 1) + 10
    colours = class_colours(classes)
    span = width - left - right
    out = _open(width, height, title)
    out.append(_text(0, 16, title, size=13, weight="bold"))
    for k, c in enumerate(classes):  # legend
        x = left + k * 70
        out.append(f'<rect x="{_t(x)}" y="26" width="12" height="12" fill="{colours[c]}"/>')
        out.append(_text(x + 16, 36, f"{c} 类", size=10))
    for i, (lab, row_counts) in enumerate(zip(labels, counts, strict=True)):
        y = top + i * row
        total = sum(row_counts)
        out.append(_text(left - 6, y + row * 0.65, str(lab)[:14], anchor="end"))
        x = left
        for c, n in zip(classes, row_counts, strict=True):
            w = span * n / total if total else 0.0
            if w > 0:
                out.append(
                    f'<rect x="{_t(x)}" y="{_t(y + 3)}" width="{_t(w)}" '
                    f'height="{_t(row - 6)}" fill="{colours[c]}"/>'
                )
                if w > 26:
                    out.append(
                        _text(
                            x + w / 2,
                            y + row * 0.65,
                            f"{100 * n / total:.0f}%",
                            anchor="middle",
                            size=9,
                        )
                    )
            x += w
    out.append("</svg>")
    return "".join(out)


def line_chart(
    xs: Sequence[int],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    unit: str = "",
    width: float = 640,
    height: float = 240,
) -> str:
    """Lines over years (x) with a point and value label per year; NaN leaves a gap."""
    left, right, top, bottom = 60.0, 20.0, 44.0, 30.0
    allv = [float(v) for s in series.values() for v in s if v is not None and not math.isnan(v)]
    vmax = _nice_max(max(allv) if allv else 1.0)
    span_x, span_y = width - left - right, height - top - bottom
    out = _open(width, height, title)
    out.append(_text(0, 16, title + (f"（{unit}）" if unit else ""), size=13, weight="bold"))
    n = len(xs)

    inset = 30.0  # the first and last points kept clear of the y labels and the edge

    def px(i: int) -> float:
        return left + (inset + (span_x - 2 * inset) * i / (n - 1) if n > 1 else span_x / 2)

    def py(v: float) -> float:
        return top + span_y * (1 - v / vmax)

    for k in range(5):  # grid and y labels
        v = vmax * k / 4
        out.append(
            f'<line x1="{_t(left)}" y1="{_t(py(v))}" x2="{_t(width - right)}" '
            f'y2="{_t(py(v))}" stroke="#e0e0e0"/>'
        )
        out.append(_text(left - 6, py(v) + 4, _fmt(v, 0), anchor="end", size=9))
    for i, x in enumerate(xs):
        out.append(_text(px(i), height - 10, str(x), anchor="middle", size=10))
    colours = [ACCENT, SECOND, "#31a354", "#756bb1"]
    for j, (name, vals) in enumerate(series.items()):
        colour = colours[j % len(colours)]
        out.append(f'<rect x="{_t(left + j * 150)}" y="26" width="12" height="4" fill="{colour}"/>')
        out.append(_text(left + j * 150 + 16, 32, name, size=10))
        pts = [
            (px(i), py(float(v)))
            for i, v in enumerate(vals)
            if v is not None and not math.isnan(float(v))
        ]
        if len(pts) > 1:
            d = " ".join(f"{_t(x)},{_t(y)}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(vals):
            if v is None or math.isnan(float(v)):
                continue
            out.append(f'<circle cx="{_t(px(i))}" cy="{_t(py(float(v)))}" r="3" fill="{colour}"/>')
            out.append(_text(px(i), py(float(v)) - 6, _fmt(float(v)), anchor="middle", size=9))
    out.append("</svg>")
    return "".join(out)


def histogram(
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    bins: int = 20,
    clip_quantile: float = 0.98,
    width: float = 640,
    height: float = 220,
) -> str:
    """Counts of ``values`` in equal bins from 0 to their ``clip_quantile`` (the rest are
    counted in the last bin, labelled "≥")."""
    v = np.asarray([float(x) for x in values], dtype="float64")
    v = v[np.isfinite(v)]
    left, right, top, bottom = 50.0, 20.0, 30.0, 34.0
    out = _open(width, height, title)
    out.append(_text(0, 16, title + (f"（{unit}）" if unit else ""), size=13, weight="bold"))
    if len(v) == 0:
        out.append(_text(width / 2, height / 2, "无数据 / no data", anchor="middle"))
        out.append("</svg>")
        return "".join(out)
    hi = float(np.quantile(v, clip_quantile)) or float(v.max()) or 1.0
    edges = np.linspace(0.0, hi, bins + 1)
    counts, _ = np.histogram(np.clip(v, 0.0, hi), bins=edges)
    cmax = _nice_max(float(counts.max()))
    span_x, span_y = width - left - right, height - top - bottom
    bw = span_x / bins
    for k in range(5):
        c = cmax * k / 4
        y = top + span_y * (1 - c / cmax)
        out.append(
            f'<line x1="{_t(left)}" y1="{_t(y)}" x2="{_t(width - right)}" '
            f'y2="{_t(y)}" stroke="#e0e0e0"/>'
        )
        out.append(_text(left - 6, y + 4, _fmt(c, 0), anchor="end", size=9))
    for i, c in enumerate(counts):
        h = span_y * c / cmax
        out.append(
            f'<rect x="{_t(left + i * bw + 1)}" y="{_t(top + span_y - h)}" '
            f'width="{_t(bw - 2)}" height="{_t(h)}" fill="{ACCENT}"/>'
        )
    for i in range(0, bins + 1, max(bins // 5, 1)):
        label = _fmt(edges[i], 0) + ("+" if i == bins else "")
        out.append(_text(left + i * bw, height - 18, label, anchor="middle", size=9))
    out.append(
        _text(
            left + span_x / 2,
            height - 4,
            "企业数 / firms per bin",
            anchor="middle",
            size=9,
            fill="#666",
        )
    )
    out.append("</svg>")
    return "".join(out)


# ------------------------------------------------------------------ maps
class _Frame:
    """World (projected metres) → SVG user units, north up, aspect kept."""

    def __init__(self, bounds: tuple[float, float, float, float], width: float, top: float) -> None:
        minx, miny, maxx, maxy = bounds
        dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
        self.scale = width / dx
        self.minx, self.maxy, self.top = minx, maxy, top
        self.height = dy * self.scale

    def path(self, geom: BaseGeometry) -> str:
        """SVG path data of a (multi)polygon, simplified to 0.3 user units."""
        if geom is None or geom.is_empty:
            return ""
        g = shapely.simplify(geom, 0.3 / self.scale, preserve_topology=False)
        parts = []
        for poly in getattr(g, "geoms", [g]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)
                if len(xy) < 3:
                    continue
                x = (xy[:, 0] - self.minx) * self.scale
                y = self.top + (self.maxy - xy[:, 1]) * self.scale
                pts = " ".join(f"{_t(a)},{_t(b)}" for a, b in zip(x, y, strict=True))
                parts.append(f"M{pts}Z")
        return "".join(parts)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.minx) * self.scale, self.top + (self.maxy - y) * self.scale


def choropleth(
    geoms: Sequence[BaseGeometry],
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    highlight: str | None = None,
    width: float = 640,
) -> str:
    """Areas shaded by value in 5 equal-width steps (grey without a value), each labelled
    with its name and value at a point inside it; ``highlight`` gets a thick outline."""
    top = 30.0
    union = shapely.union_all([g for g in geoms if g is not None])
    frame = _Frame(union.bounds, width - 130, top)
    height = top + frame.height + 10
    vals = np.asarray([np.nan if v is None else float(v) for v in values], dtype="float64")
    finite = vals[np.isfinite(vals)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    step = (hi - lo) / len(_SEQUENTIAL) or 1.0
    out = _open(width, height, title)
    out.append(_text(0, 16, title + (f"（{unit}）" if unit else ""), size=13, weight="bold"))
    for g, lab, v in zip(geoms, labels, vals, strict=True):
        if np.isfinite(v):
            k = min(int((v - lo) / step), len(_SEQUENTIAL) - 1)
            fill = _SEQUENTIAL[k]
        else:
            fill = NO_DATA
        stroke, sw = (
            ("#d94801", "2.5") if highlight is not None and lab == highlight else ("#555", "0.6")
        )
        out.append(
            f'<path d="{frame.path(g)}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{sw}" fill-rule="evenodd"/>'
        )
    for g, lab, v in zip(geoms, labels, vals, strict=True):
        p = g.representative_point()
        x, y = frame.point(p.x, p.y)
        out.append(_text(x, y, str(lab), anchor="middle", size=9, weight="bold"))
        out.append(_text(x, y + 11, _fmt(float(v)), anchor="middle", size=8))
    lx = width - 120  # legend
    for k, colour in enumerate(_SEQUENTIAL):
        y = top + 10 + k * 18
        out.append(
            f'<rect x="{_t(lx)}" y="{_t(y)}" width="14" height="14" fill="{colour}" '
            f'stroke="#555" stroke-width="0.5"/>'
        )
        out.append(
            _text(
                lx + 18, y + 11, f"{_fmt(lo + k * step, 1)}–{_fmt(lo + (k + 1) * step, 1)}", size=9
            )
        )
    out.append("</svg>")
    return "".join(out)


CELL = 1.5
"""Grid cell (SVG user units ≈ 0.4 mm at A4 width) of the parcels drawn as cells."""


def _cells(frame: _Frame, x: np.ndarray, y: np.ndarray, rank: np.ndarray) -> dict[int, str]:
    """Path data per class rank of the grid cells holding the points (x, y) (world
    coordinates), each cell in the highest (worst) rank of its points, horizontal runs of
    equal cells merged."""
    if len(x) == 0:
        return {}
    px = (x - frame.minx) * frame.scale
    py = frame.top + (frame.maxy - y) * frame.scale
    col = np.floor(px / CELL).astype(np.int64)
    row = np.floor(py / CELL).astype(np.int64)
    cells = pd.DataFrame({"row": row, "col": col, "rank": rank})
    cells = cells.groupby(["row", "col"], sort=True)["rank"].max().reset_index()
    cells = cells.sort_values(["rank", "row", "col"], ignore_index=True)
    new_run = (cells["rank"].diff() != 0) | (cells["row"].diff() != 0) | (cells["col"].diff() != 1)
    cells["run"] = new_run.cumsum()
    runs = cells.groupby("run").agg(
        rank=("rank", "first"), row=("row", "first"), c0=("col", "min"), c1=("col", "max")
    )
    out: dict[int, list[str]] = {}
    for r in runs.itertuples(index=False):
        w = (r.c1 - r.c0 + 1) * CELL
        out.setdefault(int(r.rank), []).append(
            f"M{_t(r.c0 * CELL)},{_t(r.row * CELL)}h{_t(w)}v{_t(CELL)}h{_t(-w)}Z"
        )
    return {k: "".join(v) for k, v in out.items()}


def class_map(
    outlines: Sequence[BaseGeometry],
    outline_labels: Sequence[str],
    geoms: Sequence[BaseGeometry],
    classes_of: Sequence[str | None],
    classes: Sequence[str],
    *,
    title: str,
    suffix: str = " 类",
    width: float = 640,
) -> str:
    """Parcels coloured by class over area outlines (districts). One ``<path>`` per class
    holds all its parcels, so a city's tens of thousands of parcels stay a handful of SVG
    elements; parcels smaller than two grid cells are drawn as grid cells (see
    :func:`_cells`)."""
    top = 30.0
    bounds = (
        shapely.union_all([g for g in outlines if g is not None]).bounds
        if outlines
        else shapely.union_all(list(geoms)).bounds
    )
    frame = _Frame(bounds, width - 90, top)
    height = top + frame.height + 10
    colours = class_colours(classes)
    out = _open(width, height, title)
    out.append(_text(0, 16, title, size=13, weight="bold"))
    for g in outlines:
        out.append(f'<path d="{frame.path(g)}" fill="#f4f4f4" stroke="#888" stroke-width="0.6"/>')
    arr = np.asarray(geoms, dtype=object)
    order = {c: i for i, c in enumerate(classes)}
    rank = np.asarray(
        [order.get(c, len(classes)) if c is not None else len(classes) for c in classes_of],
        dtype=np.int64,
    )
    keys = [*classes, ""]
    # parcels smaller than a cell are drawn as cells of a CELL-unit grid, each cell in the
    # worst class among its parcels, runs of equal cells as one rectangle: the drawing's
    # size follows the map's resolution, not the number of parcels (a city has ~40 000)
    xmin, ymin, xmax, ymax = shapely.bounds(arr).T if len(arr) else np.zeros((4, 0))
    small = np.maximum(xmax - xmin, ymax - ymin) * frame.scale < 2 * CELL
    big_paths: dict[int, list[str]] = {}
    for i in np.flatnonzero(~small):
        big_paths.setdefault(int(rank[i]), []).append(frame.path(arr[i]))
    cells = _cells(frame, (xmin + xmax)[small] / 2, (ymin + ymax)[small] / 2, rank[small])
    for k, c in enumerate(keys):
        d = "".join(big_paths.get(k, [])) + cells.get(k, "")
        if d:
            out.append(f'<path d="{d}" fill="{colours.get(c, NO_DATA)}" stroke="none"/>')
    for g, lab in zip(outlines, outline_labels, strict=True):
        p = g.representative_point()
        x, y = frame.point(p.x, p.y)
        out.append(_text(x, y, str(lab), anchor="middle", size=9, fill="#333"))
    lx = width - 86
    for k, c in enumerate([*classes, ""]):
        y = top + 10 + k * 18
        out.append(
            f'<rect x="{_t(lx)}" y="{_t(y)}" width="14" height="14" '
            f'fill="{colours.get(c, NO_DATA)}"/>'
        )
        out.append(_text(lx + 18, y + 11, f"{c}{suffix}" if c else "未定 / none", size=9))
    out.append("</svg>")
    return "".join(out)
