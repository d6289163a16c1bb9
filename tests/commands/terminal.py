"""A pseudo-terminal session for interactive tests: type as a person would, read the screen as text.

The screen is read with colours and cursor movements removed, so a test waits for what a person
sees (``? 身份证号``) rather than for escape sequences. stdout can be redirected to a file, as in
``no=$(custarchive add)``: the questions must still reach the terminal.
"""
from __future__ import annotations

import os
import re
import shlex
import sys
import time

import pexpect

from tests.helpers import ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]|\r|\x07")
UP, DOWN, KILL_LINE = "\x1b[A", "\x1b[B", "\x15"


def zh_env(tmp_path, **extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "zh_CN.UTF-8", "LC_ALL": "",
            "LC_MESSAGES": "", "TZ": "Asia/Shanghai", "PROMPT_TOOLKIT_NO_CPR": "1",
            "CUSTARCHIVE_CONFIG_DIR": str(tmp_path / "config"), "CUSTARCHIVE_DATA_DIR": str(tmp_path / "data"),
            "CUSTARCHIVE_USER": "王芳", **extra}


class Terminal:
    def __init__(self, args: list[str], env: dict, stdout_file: str | None = None, columns: int = 100):
        command = shlex.join([sys.executable, "-m", "custarchive", *args])
        if stdout_file:
            command += " > " + shlex.quote(stdout_file)
        self.child = pexpect.spawn("/bin/sh", ["-c", command], env=env, encoding="utf-8", timeout=30,
                                   dimensions=(45, columns))
        self.raw = ""
        self.pending = ""
        self.text = ""
        self.pos = 0

    def _read(self) -> bool:
        try:
            chunk = self.child.read_nonblocking(65536, timeout=0.2)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            self.text += ANSI.sub("", self.pending)
            self.pending = ""
            return False
        self.raw += chunk
        self.pending += chunk
        cut = self.pending.rfind("\x1b")          # an escape sequence may continue in the next chunk
        if cut < 0 or len(self.pending) - cut > 64:
            cut = len(self.pending)
        self.text += ANSI.sub("", self.pending[:cut])
        self.pending = self.pending[cut:]
        return True

    def wait(self, pattern: str, timeout: float = 30) -> re.Match:
        """Wait for ``pattern`` on the screen after what was already matched; returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.text, self.pos)
            if match:
                self.pos = match.end()
                return match
            alive = self._read()
            if (not alive and not regex.search(self.text, self.pos)) or time.monotonic() > deadline:
                raise AssertionError(f"never saw {pattern!r}; screen since last match:\n{self.text[self.pos:][-2500:]}")

    def question(self, label: str) -> None:
        self.wait(r"\? " + re.escape(label) + r"(?!\w)")

    def type(self, text: str) -> None:
        self.child.send(text + "\r")

    def key(self, *keys: str) -> None:
        for key in keys:
            self.child.send(key)
            time.sleep(0.05)

    def finish(self) -> int:
        while self._read():
            pass
        self.child.close()
        return self.child.exitstatus

    def since(self, start: int = 0) -> str:
        return self.text[start:]
