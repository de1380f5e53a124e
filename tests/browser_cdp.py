"""Drive a real headless Chromium through the DevTools protocol over a pipe
(--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON), with no extra package.

Used where a page must be worked in real time (video seeks do not progress under
--virtual-time-budget): open a page, evaluate script (awaiting promises), collect console
errors and uncaught exceptions, take screenshots.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# SwiftShader: software WebGL (the test machines have no GPU); Chromium 150 wants it named
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--allow-file-access-from-files",
    "--autoplay-policy=no-user-gesture-required",
]


class Browser:
    def __init__(self, width: int = 1400, height: int = 1000, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="runlab-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def plumb():  # the child's fd 3 reads, fd 4 writes
            read, write = os.dup(to_chrome_r), os.dup(from_chrome_w)  # either may be 3 or 4
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=plumb,
            pass_fds=(3, 4),
        )  # kept open past the exec
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # --- protocol ---
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        request = {"id": self._id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._to_chrome, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def send(self, method: str, params: dict | None = None) -> dict:
        return self._call(method, params, self.session)

    # --- what tests use ---
    def open(self, url: str, ready: str = "true", timeout_s: float = 30.0) -> float:
        """Navigate and wait until the expression `ready` is true; returns the wall seconds."""
        start = time.perf_counter()
        self.send("Page.navigate", {"url": url})
        self.wait_for(ready, timeout_s)
        return time.perf_counter() - start

    def wait_for(self, expression: str, timeout_s: float = 30.0):
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.evaluate(
                f"(function(){{try{{return ({expression});}}catch(e){{return false;}}}})()"
            )
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            time.sleep(0.05)

    def evaluate(self, expression: str):
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, out_png: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        Path(out_png).write_bytes(base64.b64decode(data))
        return Path(out_png)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(
                    "exception: "
                    + p["exceptionDetails"]
                    .get("exception", {})
                    .get("description", p["exceptionDetails"].get("text", ""))
                )
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(
                    "console: "
                    + " ".join(
                        str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
                    )
                )
            elif e["method"] == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    def close(self) -> None:
        try:
            self._call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self._profile.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
