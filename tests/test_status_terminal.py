"""`status` and the prompts on a real pseudo-terminal (80 and 40 columns), and piped."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest
from conftest import andamio_command, e2e_env

API_KEY = "ant_pp_terminal00000000000000000000000000000ab12"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSIsImFsaWFzIjoidW5pdCIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def on_terminal(args, env, *, columns=80, script=(), stdout_tty=True, timeout=30):
    """Run the CLI with a pty as its controlling terminal (stdin, and stdout or stderr).

    `script` is a list of (text to wait for, bytes to type). Returns (exit code, what the
    terminal showed with CRLF made LF, stdout or stderr that went to a pipe).
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))

    def own_the_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        andamio_command() + list(args),
        env=env,
        stdin=slave,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=subprocess.PIPE if stdout_tty else slave,
        preexec_fn=own_the_terminal,
    )
    os.close(slave)
    screen, seen, steps = b"", 0, list(script)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every writer has gone
                    break
                if not chunk:
                    break
                screen += chunk
            if steps and steps[0][0].encode() in screen[seen:]:
                seen = screen.index(steps[0][0].encode(), seen) + len(steps[0][0])
                os.write(master, steps.pop(0)[1])
            if proc.poll() is not None and not ready:
                break
        piped = (proc.stderr if stdout_tty else proc.stdout).read().decode()
        proc.wait(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not steps, f"never saw {steps[0][0]!r} on the terminal: {screen!r}"
    return proc.returncode, screen.decode().replace("\r\n", "\n"), piped


@pytest.fixture
def logged_in(run_andamio, tmp_path):
    for args, stdin in ((["login", "--with-key"], API_KEY), (["login", "--with-token"], JWT)):
        result = run_andamio(args, stdin=stdin)
        assert result.returncode == 0, result.stderr
    return e2e_env(tmp_path, TERM="xterm-256color", COLUMNS=None, LINES=None)


def test_status_on_an_80_column_terminal_has_colour_marks(logged_in):
    code, screen, stderr = on_terminal(["status"], logged_in, columns=80)
    assert code == 0, screen + stderr
    assert stderr == ""
    assert "\x1b[32m✓\x1b[0m API key        ant_pp_…ab12" in screen
    assert screen.startswith("Profile \x1b[1mdefault\x1b[0m: ")
    plain = ANSI.sub("", screen)
    assert plain.splitlines() == [
        "Profile default: https://preprod.api.andamio.io (preprod)",
        "  ✓ API key        ant_pp_…ab12, credentials.json, plain text",
        plain.splitlines()[2],
        "  ✗ Refresh token  missing",
        "  Logged in as unit",
    ]
    assert re.fullmatch(
        r"  ✓ Developer JWT  eyJ…c2ln, credentials\.json, plain text, expires in \d+ days",
        plain.splitlines()[2],
    )


def test_status_on_a_40_column_terminal_wraps_between_words(logged_in):
    wide_code, wide, _ = on_terminal(["status"], logged_in, columns=80)
    code, screen, stderr = on_terminal(["status"], logged_in, columns=40)
    assert (wide_code, code) == (0, 0), screen + stderr
    plain = ANSI.sub("", screen)
    lines = plain.splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert len(lines) > len(wide.splitlines())
    assert "ant_pp_…ab12," in plain.split()  # the masked key is never cut
    assert lines[:3] == ["Profile default:", "  https://preprod.api.andamio.io", "  (preprod)"]
    assert lines[3:5] == ["  ✓ API key        ant_pp_…ab12,", "    credentials.json, plain text"]
    assert plain.split() == ANSI.sub("", wide).split()  # the same words, only wrapped


def test_not_ready_on_a_40_column_terminal_ends_with_the_fix(run_andamio, tmp_path):
    env = e2e_env(tmp_path, TERM="xterm", COLUMNS=None, LINES=None)
    code, screen, stderr = on_terminal(["status"], env, columns=40)
    assert code == 3, screen + stderr
    assert stderr == ""
    lines = ANSI.sub("", screen).splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert "\x1b[31m✗\x1b[0m" in screen
    tail = " ".join(lines).split("Not ready: ")[1]
    assert (
        tail.split()
        == (
            "no API key; no developer JWT and no refresh token. Run `andamio login` on a terminal "
            "(or `andamio login --with-key`, then `--web`)."
        ).split()
    )


@pytest.mark.parametrize("how", [{"NO_COLOR": "1"}, {"ANDAMIO_NO_COLOR_FLAG": "1"}])
def test_no_color_means_no_escape_sequence_at_all(logged_in, how):
    args = ["status", "--all"] + (["--no-color"] if "ANDAMIO_NO_COLOR_FLAG" in how else [])
    env = {**logged_in, **{k: v for k, v in how.items() if k == "NO_COLOR"}}
    code, screen, stderr = on_terminal(args, env, columns=80)
    assert code == 0, screen + stderr
    assert "\x1b" not in screen
    assert "  ✓ API key        ant_pp_…ab12, credentials.json, plain text\n" in screen
    assert screen.startswith("Profile default (active): ")


def test_piped_status_has_no_escape_sequences_and_no_wrapping(run_andamio, logged_in):
    result = run_andamio(["status"], env={"COLUMNS": "40"})
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "  ✓ API key        ant_pp_…ab12, credentials.json, plain text\n" in result.stdout


# --- prompts -----------------------------------------------------------------------------


def stored_secrets(tmp_path) -> dict:
    path = tmp_path / "e2e-config" / "credentials.json"
    return json.loads(path.read_text())["profiles"]["default"] if path.exists() else {}


PROMPT = "API key (input hidden): "


def test_empty_answers_at_the_key_prompt_ask_again_three_times(logged_in, run_andamio, tmp_path):
    assert run_andamio(["logout"]).returncode == 0
    assert run_andamio(["login", "--with-token"], stdin=JWT).returncode == 0
    script = [(PROMPT, b"\n"), (PROMPT, b"   \n"), (PROMPT, b"\n")]
    code, screen, stdout = on_terminal(["login"], logged_in, script=script, stdout_tty=False)
    assert code == 4, screen
    assert stdout == ""
    assert screen.count(PROMPT) == 3
    assert screen.count("Nothing was entered; paste the API key and press Enter.\n") == 2
    assert "Error: no API key was entered (3 empty answers); nothing was stored" in ANSI.sub(
        "", screen
    )
    assert set(stored_secrets(tmp_path)) == {"dev_jwt"}


def test_an_empty_answer_then_the_key_stores_it(logged_in, run_andamio, tmp_path):
    assert run_andamio(["logout"]).returncode == 0
    assert run_andamio(["login", "--with-token"], stdin=JWT).returncode == 0
    script = [(PROMPT, b"\n"), (PROMPT, API_KEY.encode() + b"\n")]
    code, screen, stdout = on_terminal(["login"], logged_in, script=script, stdout_tty=False)
    assert code == 0, screen
    assert stdout == ""
    assert screen.count(PROMPT) == 2
    assert API_KEY not in screen  # the prompt does not echo
    assert stored_secrets(tmp_path)["api_key"] == API_KEY


def test_ctrl_c_at_the_key_prompt_ends_its_line_before_interrupted(logged_in, run_andamio):
    assert run_andamio(["logout"]).returncode == 0
    script = [(PROMPT, b"\x03")]
    code, screen, stdout = on_terminal(["login"], logged_in, script=script, stdout_tty=False)
    assert code == 130, screen
    assert stdout == ""
    assert screen.endswith(PROMPT + "\nInterrupted.\n"), repr(screen)


def test_ctrl_c_at_a_confirmation_ends_its_line_before_interrupted(logged_in):
    from andamio_cli.settings import Settings

    # the stored key's name is recorded (as `request --save` does): the question comes at once,
    # with no read of the key list to tell whether old-key is the profile's own key
    Settings(logged_in["ANDAMIO_CONFIG_DIR"]).update("default", key_name="ci-key")
    question = "Delete key old-key? It stops working at once; this cannot be undone. [y/N]: "
    code, screen, stdout = on_terminal(
        ["apikey", "delete", "old-key"], logged_in, script=[(question, b"\x03")], stdout_tty=False
    )
    assert code == 130, screen
    assert stdout == ""
    assert screen.endswith(question + "^C\nInterrupted.\n"), repr(screen)  # the tty echoes ^C
