"""Tables for a person at a terminal (rich): one column is never cut, the others give way."""

from __future__ import annotations

from typing import Any, Sequence

FOLD_MIN = 12  # a folding column (an id) keeps at least this many characters a line


def _console(out: Any):
    from rich.console import Console

    return Console(
        file=out.stream,
        force_terminal=True,
        color_system="auto" if out.color else None,  # None: no escape sequence at all
        no_color=not out.color,
        highlight=False,
        markup=False,
        emoji=False,
        width=out.width,
    )


def _floor(column: str, values: list[str], how: str | None) -> int:
    """The narrowest a column may get: whole values, or what `how` lets it give way to."""
    from rich.cells import cell_len

    natural = max([cell_len(column)] + [cell_len(v) for v in values])
    if how == "fold":  # long tokens such as ids: broken anywhere, never below FOLD_MIN
        return min(natural, FOLD_MIN)
    if how == "wrap":  # `2026-12-30 (in 29 days)`: the date and the parenthesis stay whole
        parts = [cell_len(p) for v in values for p in v.replace(" (", "\n(").splitlines()]
        return max([len(w) for w in column.split()] + parts)
    return natural


def render(
    out: Any,
    columns: list[str],
    cells: list[list[str]],
    *,
    header: bool,
    keep: int,
    styles: Sequence[str | None] | None,
    give_way: dict[int, str] | None = None,
) -> None:
    """Draw rows (already inert text) as a rich table. Column `keep` (a key's name) is never
    cut or wrapped; the columns in `give_way` fold ("fold") or wrap at a parenthesis ("wrap")
    on a narrow terminal; when even that does not fit, each row becomes a block of its own."""
    from rich.cells import cell_len

    console = _console(out)
    if not header:
        _record(console, cells)
        return
    give_way = give_way or {}
    overhead = 3 * len(columns) - 1  # box.SIMPLE_HEAD without edge padding
    natural = sum(
        max([cell_len(c)] + [cell_len(r[i]) for r in cells]) for i, c in enumerate(columns)
    )
    floors = [_floor(c, [r[i] for r in cells], give_way.get(i)) for i, c in enumerate(columns)]
    if sum(floors) + overhead > out.width:
        _stacked(console, columns, cells, keep, styles)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    folding = natural + overhead > out.width
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, show_lines=folding)
    for i, name in enumerate(columns):
        how = give_way.get(i)
        if how:
            table.add_column(
                name, min_width=floors[i], overflow="fold" if how == "fold" else "ellipsis"
            )
        else:
            table.add_column(name, no_wrap=True, min_width=floors[i], overflow="ignore")
    for index, row in enumerate(cells):
        style = (styles[index] if styles else None) or ""
        table.add_row(*(Text(c, style=style if i == 0 else "") for i, c in enumerate(row)))
    console.print(table)


def _record(console: Any, cells: list[list[str]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column("Field", style="bold", no_wrap=True)
    table.add_column("Value", overflow="fold")
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    console.print(table)


def _stacked(
    console: Any,
    columns: list[str],
    cells: list[list[str]],
    keep: int,
    styles: Sequence[str | None] | None,
) -> None:
    """One block per row, the kept value as its heading, one `label  value` line per column.
    Lines are never wrapped by us: a value longer than the terminal is left whole (the terminal
    wraps it for display, copying it gives it back intact)."""
    from rich.text import Text

    labels = [c.lower() for c in columns]
    width = max(len(label) for i, label in enumerate(labels) if i != keep)
    for index, row in enumerate(cells):
        if index:
            console.print()
        heading = Text()
        if keep != 0 and row[0] and not columns[0]:
            heading.append(row[0] + " ", style=(styles[index] if styles else None) or "")
        heading.append(row[keep], style="bold")
        console.print(heading, soft_wrap=True)
        for i, value in enumerate(row):
            if i != keep and columns[i]:
                console.print(Text(f"  {labels[i]:<{width}}  {value}"), soft_wrap=True)
