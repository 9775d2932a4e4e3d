"""A small headless-Chromium driver for the report's browser test.

It speaks the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4 of the browser, messages separated by NUL bytes), so it
needs no Python package and no network port. Used by tests only.

The browser starts with a fresh profile and every background service off, and
:meth:`Browser.open` loads a page with the network emulated offline and every
request that is not ``file:`` or ``data:`` failed and recorded.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

#: Where Debian's ``chromium`` package puts the browser.
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """The browser to use: ``$SENDALLOC_CHROMIUM``, else Debian's; None if absent."""
    env = os.environ.get("SENDALLOC_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for c in CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


class CDPError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium, driven over the DevTools pipe."""

    def __init__(self, executable: str, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="sendalloc-chromium-")
        # Our ends and the browser's ends of two pipes; the browser's ends are
        # moved to fd 10 or above so that placing them at 3 and 4 in the child
        # cannot overwrite one with the other.
        cmd_r, self._cmd_w = os.pipe()  # we write commands; the browser reads fd 3
        self._res_r, res_w = os.pipe()  # the browser writes fd 4; we read
        cmd_hi = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        res_hi = fcntl.fcntl(res_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_r)
        os.close(res_w)

        def pipes() -> None:  # in the child, between fork and exec: two dup2s
            os.dup2(cmd_hi, 3)
            os.dup2(res_hi, 4)

        try:
            self.proc = subprocess.Popen(
                [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=pipes,
                close_fds=False,  # keep 3 and 4; Python's own fds are not inherited
            )
        finally:
            os.close(cmd_hi)
            os.close(res_hi)
        self._buf = b""
        self._next = 0
        self._ignored: set[int] = set()
        self.inbox: list[dict[str, Any]] = []
        #: Every URL the pages asked for, and those refused (not file: or data:).
        self.requests: list[str] = []
        self.blocked: list[str] = []

    # ----------------------------------------------------------------- protocol
    def _write(self, method: str, session: str | None, params: dict[str, Any]) -> int:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session is not None:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        return self._next

    def _pump(self, deadline: float) -> None:
        """Read one message: answer a paused request at once, keep the rest."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("the browser did not answer in time")
            ready, _, _ = select.select([self._res_r], [], [], left)
            if ready:
                chunk = os.read(self._res_r, 1 << 20)
                if not chunk:
                    raise CDPError("the browser closed the pipe (did it crash?)")
                self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        msg: dict[str, Any] = json.loads(raw)
        if msg.get("id") in self._ignored:
            self._ignored.discard(msg["id"])
            return
        if msg.get("method") == "Fetch.requestPaused":
            p = msg["params"]
            url = p["request"]["url"]
            session = msg.get("sessionId")
            if url.startswith(("file:", "data:")):
                mid = self._write(
                    "Fetch.continueRequest", session, {"requestId": p["requestId"]}
                )
            else:
                self.blocked.append(url)
                mid = self._write(
                    "Fetch.failRequest",
                    session,
                    {"requestId": p["requestId"], "errorReason": "BlockedByClient"},
                )
            self._ignored.add(mid)
            return
        if msg.get("method") == "Network.requestWillBeSent":
            self.requests.append(msg["params"]["request"]["url"])
        self.inbox.append(msg)

    def send(self, method: str, session: str | None = None, **params: Any) -> Any:
        """Send one command and return its result; events on the way are kept."""
        mid = self._write(method, session, params)
        deadline = time.monotonic() + self.timeout
        while True:
            for i, msg in enumerate(self.inbox):
                if msg.get("id") == mid:
                    del self.inbox[i]
                    if "error" in msg:
                        raise CDPError(f"{method}: {msg['error']}")
                    return msg.get("result", {})
            self._pump(deadline)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The next event ``method`` (from those kept, else from the pipe)."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, msg in enumerate(self.inbox):
                if msg.get("method") == method and (
                    session is None or msg.get("sessionId") == session
                ):
                    del self.inbox[i]
                    return msg
            self._pump(deadline)

    # ----------------------------------------------------------------- pages
    def open(self, path: Path, *, width: int, height: int = 900) -> str:
        """Load ``path`` offline in a new tab ``width`` wide; the tab's session.

        Every request is recorded in :attr:`requests`; any that is not
        ``file:`` or ``data:`` is failed and recorded in :attr:`blocked`.
        """
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session: str = self.send(
            "Target.attachToTarget", targetId=target, flatten=True
        )["sessionId"]
        self.send("Network.enable", session)
        self.send(
            "Network.emulateNetworkConditions",
            session,
            offline=True,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )
        self.send("Fetch.enable", session, patterns=[{"urlPattern": "*"}])
        self.send("Page.enable", session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        nav = self.send("Page.navigate", session, url=path.resolve().as_uri())
        if nav.get("errorText"):
            raise CDPError(f"navigation failed: {nav['errorText']}")
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        out = self.send(
            "Runtime.evaluate",
            session,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in out:
            raise CDPError(f"script failed: {out['exceptionDetails']}")
        return out["result"].get("value")

    def screenshot(self, session: str, width: int, height: int) -> bytes:
        """A PNG of the whole page (``width`` x ``height`` CSS pixels)."""
        data = self.send(
            "Page.captureScreenshot",
            session,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        )["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        """Close the browser, wait for it, and remove its profile."""
        with suppress(CDPError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._res_r):
            with suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)


@contextmanager
def chromium(executable: str, *, timeout: float = 60.0) -> Iterator[Browser]:
    """A :class:`Browser` that is closed (and its profile removed) on exit."""
    b = Browser(executable, timeout=timeout)
    try:
        yield b
    finally:
        b.close()
