"""Tables that fit the console instead of cutting figures.

rich squeezes a too-wide table by truncating cells with "…", which turns "$143,547.20" into "$14…".
A Fit picks, at render time and for the width actually available, the first layout whose minimum
width fits: first the full table, then a lighter border, then without its least useful columns (said
in the caption), so a figure is shown whole or not at all.
"""

from __future__ import annotations

from typing import Callable, Sequence

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table

Build = Callable[[frozenset[str], bool], Table]
COMPACT_BOX = box.SIMPLE_HEAD


def compact(table: Table) -> Table:
    """The lighter layout: no outer frame and blank column rules, about one character per column saved."""
    table.box = COMPACT_BOX
    table.show_edge = False
    table.pad_edge = False
    return table


def hidden_note(dropped: Sequence[str], hint: str = "widen the terminal or use --json") -> str:
    return f"Not shown at this width: {', '.join(dropped)} ({hint})." if dropped else ""


class Fit:
    """A table built by build(dropped columns, compact) for the widest layout that fits."""

    def __init__(self, build: Build, optional: Sequence[str] = ()):
        self.build = build
        self.optional = list(optional)

    def layouts(self):
        yield frozenset(), False
        for n in range(len(self.optional) + 1):
            yield frozenset(self.optional[:n]), True

    def choose(self, console: Console, width: int):
        for dropped, light in self.layouts():
            table = self.build(dropped, light)
            if light:
                compact(table)
            if lay_out(console, table, width):
                return table
        return records(self.build(frozenset(), False))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.choose(console, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.choose(console, options.max_width))


def records(table: Table) -> Group:
    """The last resort for very narrow consoles: one block per row, one "header: value" line per cell."""
    from rich.text import Text

    out: list = []
    if table.title:
        out.append(table.title)
    headers = [c.header for c in table.columns]
    cells = [list(c.cells) for c in table.columns]
    for r in range(table.row_count):
        row = [cells[c][r] for c in range(len(headers))]
        if not any(str(v).strip() for v in row):
            continue
        out.append(Text.assemble(Text.from_markup(str(row[0]), style="bold")) if isinstance(row[0], str) else row[0])
        for h, v in zip(headers[1:], row[1:]):
            if str(v).strip():
                out.append(Text.assemble(f"  {h}: ", Text.from_markup(v) if isinstance(v, str) else str(v)))
    if table.caption:
        out.append(table.caption)
    return Group(*out)


def _content(console: Console, cell) -> Measurement:
    opts = console.options.update_width(10_000)
    return Measurement.get(console, opts, console.render_str(cell) if isinstance(cell, str) else cell)


def lay_out(console: Console, table: Table, width: int) -> bool:
    """Set every column's width so the table is at most `width` wide with no word or figure cut;
    False when even the narrowest layout is wider.

    rich's own squeezing ignores the longest word of a column and can cut a figure while another
    column still has room, so the spare width is shared out here: each wrappable column gets its
    longest word plus a share of what is left, in proportion to how much more it could use.
    """
    cols = table.columns
    sizes = []
    for col in cols:
        ms = [_content(console, c) for c in ([col.header] if table.show_header else []) + list(col.cells)]
        lo = max((m.minimum for m in ms), default=1)
        hi = max((m.maximum for m in ms), default=1)
        sizes.append((hi, hi) if col.no_wrap else (lo, hi))
    natural = Measurement.get(console, console.options.update_width(10_000), table).maximum
    overhead = natural - sum(hi for _, hi in sizes)
    if natural <= width:
        return True
    spare = width - overhead - sum(lo for lo, _ in sizes)
    if spare < 0:
        return False
    want = sum(hi - lo for lo, hi in sizes) or 1
    widths = [lo + (hi - lo) * spare // want for lo, hi in sizes]
    leftover = spare - sum(w - lo for w, (lo, _) in zip(widths, sizes))
    for i in sorted(range(len(sizes)), key=lambda i: widths[i] - sizes[i][1])[:leftover]:
        widths[i] += 1  # rounding leftovers go to the columns furthest from their natural width
    for col, w in zip(cols, widths):
        col.width = w
    return True
