"""`apikey list` on terminals of every width: a table whenever one fits with every value whole
on one line (CREATED, then ID, give way first), else one block per key; a name is never cut."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import API_KEY, DEV_JWT, MemoryStore
from rich.cells import cell_len
from test_tables import SPACED, _clean_env, add_listed_keys, run_in_terminal

from andamio_cli.sandbox.state import DAY

DEV = "/api/v2/apikey/developer"
UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
NAMES = ("sandbox-default", SPACED, "ci-old", "nearly-gone")


@pytest.fixture
def keys(sandbox, tmp_path):
    """The seeded key, one with spaces in its name, one expired (inactive), one with 23 h left."""
    add_listed_keys(sandbox)
    ids = [k.id for k in sandbox.state.keys if k.user_id == sandbox.dev.user_id]
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"), NO_COLOR="1")
    return env, ids


def _rows(out: str) -> dict[str, str]:
    """The one line of each key, by name."""
    found = {}
    for name in NAMES:
        lines = [line for line in out.splitlines() if name in line]
        assert len(lines) == 1, (name, out)
        found[name] = lines[0]
    return found


def _table(out: str, columns: int) -> tuple[list[str], dict[str, str]]:
    lines = out.splitlines()
    assert all(cell_len(line) <= columns for line in lines), out
    assert set(lines[1]) == {"─"}, out  # the rule under the header
    assert len(lines) == 2 + len(NAMES), out  # header, rule, one line per key
    return lines[0].split(), _rows(out)


def test_80_columns_is_a_table_without_created_and_id(keys):
    env, ids = keys
    code, out, err = run_in_terminal(["apikey", "list"], env, 80)
    assert code == 0, err
    header, rows = _table(out, 80)
    assert header == ["NAME", "KEY", "EXPIRES", "ACTIVE"]
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * DAY - 600))
    assert rows["ci-old"].split()[:2] == ["✗", "ci-old"]
    assert f"{day} (expired 2 days ago)" in rows["ci-old"]
    assert rows["ci-old"].split()[-1] == "no"
    assert rows["nearly-gone"].split()[:2] == ["!", "nearly-gone"]
    assert rows[SPACED].startswith(SPACED + " ") and "(in 29 days)" in rows[SPACED]
    assert rows["sandbox-default"].split()[-1] == "yes"
    for row in rows.values():
        assert "ant_pp_…" in row and "ago)" not in row.replace("expired 2 days ago)", "")
    assert not any(i in out for i in ids)
    assert err.startswith("Expired or expiring within 14 days: ci-old (expired 2 days ago), ")


def test_120_columns_has_the_whole_ids_back(keys):
    env, ids = keys
    code, out, err = run_in_terminal(["apikey", "list"], env, 120)
    assert code == 0, err
    header, rows = _table(out, 120)
    assert header == ["NAME", "ID", "KEY", "EXPIRES", "ACTIVE"]
    shown = sorted(i for row in rows.values() for i in row.split() if UUID.fullmatch(i))
    assert shown == sorted(ids)  # each id whole, on its key's line
    assert "minutes ago)" not in out  # CREATED gave way


def test_150_columns_has_every_column(keys):
    env, ids = keys
    code, out, err = run_in_terminal(["apikey", "list"], env, 150)
    assert code == 0, err
    header, rows = _table(out, 150)
    assert header == ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "ACTIVE"]
    assert all("(0 minutes ago)" in row for row in rows.values())


def test_40_columns_stacks_every_column_of_every_key(keys):
    env, ids = keys
    code, out, err = run_in_terminal(["apikey", "list"], env, 40)
    assert code == 0, err
    blocks = out.strip("\n").split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "sandbox-default",
        SPACED,
        "✗ ci-old",
        "! nearly-gone",
    ]
    for block, key_id in zip(blocks, ids, strict=True):
        labels = [line.split()[0] for line in block.splitlines()[1:]]
        assert labels == ["id", "key", "created", "expires", "active"]
        assert f"  id       {key_id}" in block.splitlines()


def test_a_name_too_long_for_the_table_stacks_and_stays_whole(sandbox, tmp_path):
    long_name = "n" * 64
    with sandbox.state.lock:
        sandbox.state.add_key(sandbox.dev.user_id, long_name, 30)
    env = _clean_env(sandbox, ANDAMIO_CONFIG_DIR=str(tmp_path / "cfg"), NO_COLOR="1")
    code, out, err = run_in_terminal(["apikey", "list"], env, 80)
    assert code == 0, err
    assert long_name in out.splitlines()  # a block heading: the name alone on its line
    assert "NAME" not in out


# --- the boundary, in-process: a table exactly as wide as the terminal -------------------


def _profile(n: int) -> bytes:
    keys = [
        {
            "id": f"7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5{i}",
            "api_key": API_KEY[:-1] + str(i),
            "name": f"key-{i}",
            "created_at": "2026-01-04T10:00:00Z",
            "expires_at": "2099-01-01T00:00:00Z",
            "is_active": True,
        }
        for i in range(n)
    ]
    return json.dumps(
        {"user_id": "u1", "alias": "a", "tier": "growth", "active_keys": keys}
    ).encode()


def _list_at(cli, gateway, columns: int) -> list[str]:
    gateway.expect("GET", f"{DEV}/profile/get", content=_profile(3))
    result = cli(
        ["apikey", "list"],
        store=MemoryStore(api_key=API_KEY, dev_jwt=DEV_JWT),
        transport=gateway.transport,
        tty=True,
        env={"NO_COLOR": "1", "COLUMNS": str(columns)},
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def _fits(lines: list[str], columns: int, header: list[str]) -> int:
    """Check a one-line-per-key table of `header` within `columns`; return its width."""
    assert lines[0].split() == header, lines
    assert len(lines) == 2 + 3 and set(lines[1]) == {"─"}, lines
    assert max(cell_len(line) for line in lines) <= columns
    return cell_len(lines[1])


def test_each_column_gives_way_exactly_when_the_table_would_not_fit(cli, gateway):
    every = ["NAME", "ID", "KEY", "CREATED", "EXPIRES", "ACTIVE"]
    wide = _list_at(cli, gateway, 300)
    full = _fits(wide, 300, every)
    created = re.search(r"2026-01-04 \(\d+ days ago\)", wide[2])
    assert created is not None, wide
    assert _fits(_list_at(cli, gateway, full), full, every) == full
    no_created = _fits(_list_at(cli, gateway, full - 1), full - 1, every[:3] + every[4:])
    assert no_created == full - len(created.group()) - 3  # the column and its gap
    assert _fits(_list_at(cli, gateway, no_created), no_created, every[:3] + every[4:])
    narrow = ["NAME", "KEY", "EXPIRES", "ACTIVE"]
    least = _fits(_list_at(cli, gateway, no_created - 1), no_created - 1, narrow)
    assert least == no_created - 36 - 3  # the id and its gap
    assert _fits(_list_at(cli, gateway, least), least, narrow) == least
    stacked = _list_at(cli, gateway, least - 1)
    assert stacked[0] == "key-0" and stacked[1].split() == [
        "id",
        "7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e50",
    ]
