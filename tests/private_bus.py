"""A private D-Bus bus for tests: a dbus-daemon of our own that activates nothing."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Callable

import pytest
from reliability_support import REQUIRED

# A session bus with no <servicedir> and no <standard_session_servicedirs/>: nothing is ever
# started on demand, so a name nobody owns stays unowned.
CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def need_dbus_daemon() -> None:
    """Skip without dbus-daemon (fail instead where ANDAMIO_REQUIRE_REAL_KEYRING=1)."""
    if not shutil.which("dbus-daemon"):
        if REQUIRED:
            pytest.fail("dbus-daemon is required in CI")
        pytest.skip("dbus-daemon not installed")


class PrivateBus:
    """A session-type dbus-daemon of our own, on a socket in a fresh temporary directory."""

    def __init__(self) -> None:
        self.after_close: list[Callable[[], None]] = []  # run once the daemon is gone
        # A short directory: a unix socket path must fit in 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="ssbus-")
        self.socket = os.path.join(self.dir, "bus")
        config = os.path.join(self.dir, "session.conf")
        with open(config, "w") as fh:
            fh.write(CONFIG.format(socket=self.socket))
        self.proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--print-address", "--nofork"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline().decode() if ready else ""  # type: ignore[union-attr]
        if not line.startswith("unix:"):
            self.close()
            raise RuntimeError(f"dbus-daemon did not start (printed {line!r})")
        self.address = line.strip()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        for cleanup in self.after_close:
            cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
