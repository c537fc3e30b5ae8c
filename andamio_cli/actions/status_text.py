"""`andamio status` for people: one block per profile, one marked line per credential."""

from __future__ import annotations

import time

from andamio_cli.actions.status import LABELS

MARKS = {"ok": ("✓", "ok", "32"), "expiring": ("!", "!", "33"), "renewable": ("!", "!", "33")}
BAD_MARK = ("✗", "x", "31")
WHERE = {"keyring": "OS keyring", "file": "credentials.json, plain text"}
_LABEL_WIDTH = max(len(label) for label in LABELS.values())


def _where(secret: str, item: dict, store: str | None) -> str:
    from andamio_cli.credentials import ENV_VARS

    source = item["source"]
    if source == "env":
        return f"from {ENV_VARS[secret]}"
    if source == "unreadable":
        return f"unreadable ({WHERE.get(store or '', 'the credential store')})"
    if source == "none":
        return "missing"
    return WHERE.get(source, source)


def _details(secret: str, item: dict, view: dict, now: float) -> str:
    from andamio_cli.output import inert
    from andamio_cli.times import expiry_phrase, parse_time

    parts = [item["masked"]] if item["masked"] else []
    parts.append(_where(secret, item, view["store"]))
    when = parse_time(item["expires_at"])
    if when is not None:
        phrase = expiry_phrase(when, now)
        if item["state"] == "renewable":
            phrase += " (the refresh token renews it)"
        parts.append(phrase)
    return inert(", ".join(parts))


class _Painter:
    """Marks, colour and encoding for this stdout."""

    def __init__(self, ctx) -> None:
        self.utf8 = ctx.out.unicode
        self.color = ctx.color and ctx.stdout_tty
        self.width = ctx.out.width if ctx.stdout_tty else 0

    def mark(self, state: str) -> str:
        fancy, plain, code = MARKS.get(state, BAD_MARK)
        text = fancy if self.utf8 else plain.ljust(2)
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color else text

    def fit(self, head: str, shown: int, body: str, indent: int) -> list[str]:
        """`head` (`shown` columns wide) + `body`, wrapped at the terminal's width, never
        inside a word (a masked key stays whole), continuation lines indented."""
        if not self.utf8:
            body = body.replace("…", "...")
        if not self.width or shown + len(body) <= self.width:
            return [head + body]
        indent = indent if self.width >= 60 else min(indent, 4)
        lines: list[str] = []
        line, used, start = head, shown, shown
        for word in body.split(" "):
            gap = 0 if used == start else 1
            if used + gap + len(word) > self.width and (used > start or (not lines and used > 0)):
                lines.append(line.rstrip())
                line, used, start, gap = " " * indent, indent, indent, 0
            line += " " * gap + word
            used += gap + len(word)
        return [*lines, line]


def _block(view: dict, paint: _Painter, all_profiles: bool, now: float) -> list[str]:
    from andamio_cli.output import inert

    name = view["profile"]
    active = " (active)" if all_profiles and view["active"] else ""
    where = f"{view['base_url']} ({view['network']})" if view["base_url"] else "no usable URL"
    head = f"Profile {paint.bold(name)}{active}: "
    lines = paint.fit(head, len(f"Profile {name}{active}: "), inert(where), 2)
    shown = 2 + (1 if paint.utf8 else 2) + 1 + _LABEL_WIDTH + 2
    for secret, label in LABELS.items():
        item = view[secret]
        head = f"  {paint.mark(item['state'])} {label.ljust(_LABEL_WIDTH)}  "
        lines += paint.fit(head, shown, _details(secret, item, view, now), shown)
    if view["alias"]:
        lines += paint.fit("  Logged in as ", 15, inert(view["alias"]), 4)
    if not view["ready"]:
        lines += paint.fit("Not ready: ", 11, inert("; ".join(view["problems"])) + ".", 2)
        lines += paint.fit("", 0, inert(view["fix"]), 2)
    return lines


def render(ctx, views: list[dict], *, all_profiles: bool) -> None:
    """Write the blocks on stdout (a blank line between profiles)."""
    paint = _Painter(ctx)
    now = time.time()
    blocks = ["\n".join(_block(view, paint, all_profiles, now)) for view in views]
    text = "\n\n".join(blocks) + "\n"
    if not paint.utf8:
        encoding = getattr(ctx.stdout, "encoding", None) or "ascii"
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    ctx.stdout.write(text)


def warn_expiring(ctx, view: dict) -> None:
    """A warning on stderr when the profile's own stored API key expires within 14 days."""
    from andamio_cli.times import expiry_phrase, parse_time

    key = view["api_key"]
    when = parse_time(key["expires_at"])
    if key["state"] != "expiring" or when is None:
        return
    name = view["key_name"] or "NAME"
    cli = "andamio" if view["active"] else f"andamio --profile {view['profile']}"
    ctx.warn(
        f"the API key of profile {view['profile']} {expiry_phrase(when, time.time())}; "
        f"replace it with `{cli} apikey rotate {name}`"
    )
