"""Tables for a person at a terminal (rich): every value whole; one column (a key's name) is
never cut, and when the rows do not fit, each becomes a block of its own."""

from __future__ import annotations

from typing import Any, Sequence


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


def width(columns: list[str], cells: list[list[str]]) -> int:
    """Columns the table takes with every value whole on one line (box.SIMPLE_HEAD, no edge
    padding: three columns between two values)."""
    from rich.cells import cell_len

    natural = sum(
        max([cell_len(c)] + [cell_len(r[i]) for r in cells]) for i, c in enumerate(columns)
    )
    return natural + 3 * len(columns) - 3


def render(
    out: Any,
    columns: list[str],
    cells: list[list[str]],
    *,
    header: bool,
    keep: int,
    styles: Sequence[str | None] | None,
) -> None:
    """Draw rows (already inert text) as a rich table, every value whole on one line. When
    that does not fit the terminal, each row becomes a block of its own, headed by column
    `keep` (a key's name: never cut or wrapped). Callers that can drop columns first do so."""
    console = _console(out)
    if not header:
        _record(console, cells)
        return
    if width(columns, cells) > out.width:
        _stacked(console, columns, cells, keep, styles)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="ignore")
    for index, row in enumerate(cells):
        style = (styles[index] if styles else None) or ""
        table.add_row(*(Text(c, style=style if i == keep else "") for i, c in enumerate(row)))
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
    label_width = max(len(label) for i, label in enumerate(labels) if i != keep)
    for index, row in enumerate(cells):
        if index:
            console.print()
        style = (styles[index] if styles else None) or ""
        console.print(Text(row[keep], style=f"bold {style}".strip()), soft_wrap=True)
        for i, value in enumerate(row):
            if i != keep:
                console.print(Text(f"  {labels[i]:<{label_width}}  {value}"), soft_wrap=True)
