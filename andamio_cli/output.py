"""Render data as rich tables, plain lines, JSON, CSV or Markdown; render errors."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Sequence, TextIO

from andamio_cli.errors import AndamioError

# Control, format (bidi, zero-width, tags), surrogate, private-use, unassigned, and the
# line/paragraph separators: shown escaped, never handed to a terminal or a spreadsheet.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_FORMULA_START = ("=", "+", "-", "@")


def _escape(ch: str) -> str:
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x80
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def inert(value: Any) -> str:
    """Text safe for a terminal: control characters, escapes and invisible Unicode are shown."""
    text = "" if value is None else str(value)
    if text.isprintable():  # the common case; isprintable() is False for every hidden category
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(document: Any, indent: int | None = 2) -> str:
    """RFC 8259 JSON in which every hidden character is a `\\uXXXX` escape (lone surrogates too)."""
    text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    if text.isascii():
        return text
    # json.dumps escaped C0 controls; DEL, C1 and the other hidden characters it leaves raw.
    return "".join(
        _json_escape(ch) if ord(ch) >= 0x7F and unicodedata.category(ch) in _HIDDEN else ch
        for ch in text
    )


def mask(secret: object) -> str:
    """`ant_pp_…wxyz`: enough to recognise a secret, never enough to use it."""
    if not isinstance(secret, str) or not secret:
        return ""
    prefix = re.match(r"^(ant_[a-z]{2}_|ant-|eyJ)", secret)
    if len(secret) < 12:
        return "…"
    return (prefix.group(1) if prefix else "") + "…" + secret[-4:]


def cell(value: Any, *, human: bool = False) -> str:
    """One value as text: booleans yes/no for people, true/false for machines; inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("yes" if value else "no") if human else ("true" if value else "false")
    return inert(value)


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ gets a leading '."""
    text = cell(value)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return "'" + text if text.startswith(_FORMULA_START) and not is_number else text


class Output:
    """Writes results to stdout in the chosen format; text is rich on a terminal only."""

    def __init__(
        self, fmt: str, stream: TextIO, *, tty: bool, color: bool, width: int = 80
    ) -> None:
        self.fmt = fmt
        self.stream = stream
        self.tty = tty
        self.color = color
        self.width = width

    @property
    def human(self) -> bool:
        """Rich text for a person at a terminal (dates with relative times, yes/no)."""
        return self.fmt == "text" and self.tty

    @property
    def unicode(self) -> bool:
        encoding = (getattr(self.stream, "encoding", None) or "utf-8").lower().replace("-", "")
        return encoding == "utf8"

    def json(self, document: Any) -> None:
        text = json_text(document)
        if not self.unicode:  # e.g. PYTHONIOENCODING=ascii: escape what the stream cannot take
            text = "".join(ch if ord(ch) < 0x80 else _json_escape(ch) for ch in text)
        self.stream.write(text + "\n")

    def line(self, text: str) -> None:
        """One line of text, shown inert."""
        self.stream.write(inert(text) + "\n")

    def record(self, document: Any, rows: Sequence[tuple[str, Any]]) -> None:
        """One object: JSON as given, otherwise Field/Value rows."""
        if self.fmt == "json":
            self.json(document)
        else:
            self.table(["Field", "Value"], [list(r) for r in rows], header=False)

    def fits(self, columns: list[str], rows: list[list[Any]]) -> bool:
        """Whether `rows` fit this terminal as a table with every value whole on one line."""
        from andamio_cli.tables import width

        cells = [[cell(c, human=self.human) for c in row] for row in rows]
        return width(columns, cells) <= self.width

    def table(
        self,
        columns: list[str],
        rows: list[list[Any]],
        *,
        header: bool = True,
        keep: int = 0,
        styles: Sequence[str | None] | None = None,
    ) -> None:
        """Rows as a rich table (terminal), tab-separated lines (piped), CSV or Markdown.

        Column `keep` (a key's name) is never cut or wrapped: on a terminal too narrow for the
        table each row becomes a block headed by it.
        """
        if self.fmt == "csv":
            import csv

            writer = csv.writer(self.stream, lineterminator="\n")
            writer.writerow([csv_cell(c) for c in columns])
            writer.writerows([csv_cell(c) for c in row] for row in rows)
            return
        cells = [[cell(c, human=self.human) for c in row] for row in rows]
        if self.fmt == "markdown":
            esc = [[c.replace("|", "\\|") for c in row] for row in cells]
            self.line("| " + " | ".join(columns) + " |")
            self.line("|" + "|".join("---" for _ in columns) + "|")
            for row in esc:
                self.line("| " + " | ".join(row) + " |")
        elif self.tty:
            from andamio_cli.tables import render

            render(self, columns, cells, header=header, keep=keep, styles=styles)
        else:
            for row in cells:
                self.stream.write("\t".join(row) + "\n")


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
