"""Render data as rich tables, plain lines, JSON, CSV or Markdown; render errors."""

from __future__ import annotations

import json
import re
from typing import Any, Sequence, TextIO

from andamio_cli.errors import AndamioError

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What json.dumps leaves raw: C1 controls (\x9b is a one-byte CSI), bidi and line separators.
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert(value: Any) -> str:
    """Text safe for a terminal: control characters and escapes are shown, not obeyed."""
    text = "" if value is None else str(value)
    return _UNSAFE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


def mask(secret: object) -> str:
    """`ant_pp_…wxyz`: enough to recognise a secret, never enough to use it."""
    if not isinstance(secret, str) or not secret:
        return ""
    prefix = re.match(r"^(ant_[a-z]{2}_|ant-|eyJ)", secret)
    if len(secret) < 12:
        return "…"
    return (prefix.group(1) if prefix else "") + "…" + secret[-4:]


class Output:
    """Writes results to stdout in the chosen format; text is rich on a terminal only."""

    def __init__(self, fmt: str, stream: TextIO, *, tty: bool, color: bool) -> None:
        self.fmt = fmt
        self.stream = stream
        self.tty = tty
        self.color = color

    def json(self, document: Any) -> None:
        text = json.dumps(document, indent=2, ensure_ascii=False)
        self.stream.write(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")

    def line(self, text: str) -> None:
        """One line of text, shown inert."""
        self.stream.write(inert(text) + "\n")

    def record(self, document: Any, rows: Sequence[tuple[str, Any]]) -> None:
        """One object: JSON as given, otherwise Field/Value rows."""
        if self.fmt == "json":
            self.json(document)
        else:
            self.table(["Field", "Value"], [list(r) for r in rows], header=False)

    def table(self, columns: list[str], rows: list[list[Any]], *, header: bool = True) -> None:
        """Rows as a rich table (terminal), tab-separated lines (piped), CSV or Markdown."""
        cells = [[inert(c) for c in row] for row in rows]
        if self.fmt == "csv":
            import csv

            writer = csv.writer(self.stream, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(cells)
        elif self.fmt == "markdown":
            esc = [[c.replace("|", "\\|") for c in row] for row in cells]
            self.line("| " + " | ".join(columns) + " |")
            self.line("|" + "|".join("---" for _ in columns) + "|")
            for row in esc:
                self.line("| " + " | ".join(row) + " |")
        elif self.tty:
            self._rich_table(columns, cells, header)
        else:
            for row in cells:
                self.stream.write("\t".join(row) + "\n")

    def _rich_table(self, columns: list[str], cells: list[list[str]], header: bool) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console(
            file=self.stream, force_terminal=True, no_color=not self.color, highlight=False
        )
        table = Table(show_header=header, pad_edge=False)
        if not header:
            table.box = None
        for name in columns:
            table.add_column(name, style="bold" if not header and name == "Field" else None)
        for row in cells:
            table.add_row(*(Text(c) for c in row))
        console.print(table)


def error_text(error: AndamioError, *, color: bool) -> str:
    """`Error: …` and `Hint: …` lines."""
    red, dim, reset = ("\x1b[31m", "\x1b[2m", "\x1b[0m") if color else ("", "", "")
    text = f"{red}Error:{reset} {inert(error.message)}\n"
    if error.hint:
        text += f"{dim}Hint:{reset} {inert(error.hint)}\n"
    return text


def error_json(error: AndamioError) -> str:
    """The one JSON object printed on stderr in JSON mode."""
    body = {
        "kind": error.kind,
        "message": error.message,
        "status": error.status,
        "code": error.code,
        "hint": error.hint,
    }
    return json.dumps({"error": body}) + "\n"
