"""Print figures side by side, one column per target, with the subject's ratio to each peer."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from benchmarks import stats

Figures = Mapping[str, float]
"""One target's figures for one run: name (with its unit) -> value."""


def median_figures(rounds: Sequence[Figures]) -> dict[str, float]:
    """Median of each figure over several rounds of the same target."""
    names = [name for name in rounds[0]] if rounds else []
    return {name: stats.median(r.get(name, math.nan) for r in rounds) for name in names}


def subject_of(targets: Sequence[str]) -> str:
    """The target the ratios are about: liveevent when measured, else the last one."""
    return "liveevent" if "liveevent" in targets else targets[-1]


def _cell(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"


def rows(
    results: Mapping[str, Figures], *, ratio_rows: Sequence[str] | None = None
) -> list[list[str]]:
    """Return the header and one row per figure; ratio columns compare the subject with each
    other target.

    ``ratio_rows`` limits the ratios to figures where one makes sense (latencies, memory),
    not counts of errors.
    """
    names = list(results)
    subject = subject_of(names)
    peers = [n for n in names if n != subject]
    # Every target's figures, in order of first appearance: a peer lacks some (GC pauses).
    figure_names = list(dict.fromkeys(fig for figures in results.values() for fig in figures))
    out = [["figure", *names, *(f"{subject}/{p}" for p in peers)]]
    for fig in figure_names:
        row = [fig, *(_cell(results[n].get(fig, math.nan)) for n in names)]
        for peer in peers:
            mine, theirs = results[subject].get(fig, math.nan), results[peer].get(fig, math.nan)
            wanted = ratio_rows is None or fig in ratio_rows
            ok = wanted and theirs and not math.isnan(mine) and not math.isnan(theirs)
            row.append(f"{mine / theirs:.2f}x" if ok else "")
        out.append(row)
    return out


def table(results: Mapping[str, Figures], *, ratio_rows: Sequence[str] | None = None) -> str:
    """Return the figures as an aligned plain-text table (see ``rows``)."""
    if not results:
        return "(no results)"
    grid = rows(results, ratio_rows=ratio_rows)
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in grid
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def markdown(results: Mapping[str, Figures], *, ratio_rows: Sequence[str] | None = None) -> str:
    """Return the figures as a Markdown table, ready for BENCHMARKS.md."""
    if not results:
        return "(no results)"
    grid = rows(results, ratio_rows=ratio_rows)
    lines = ["| " + " | ".join(r) + " |" for r in grid]
    lines.insert(1, "|" + "---|" * len(grid[0]))
    return "\n".join(lines)


def as_json(kind: str, meta: Mapping[str, object], results: Mapping[str, Figures]) -> str:
    return json.dumps({"kind": kind, **meta, "results": results}, ensure_ascii=False, indent=2)
