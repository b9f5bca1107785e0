"""A real browser meets a real `grade serve` (issue 27 item 11): headless Chromium, driven over its DevTools protocol
(websocket-client, already a dependency of the test environment; no Playwright), signs in as a student by typing the
token and pressing Enter, hands in 02's reference through the file input and the Hand in button, waits on the
submission's page (it refreshes itself until graded) and reads the score in the feedback table; then signs in as the
instructor on /instructor and finds the new grade on the dashboard. The service is `grade serve` itself, started
with the real command on 127.0.0.1 after `grade serve roster import` and `grade serve instructor`, grading in the
real sandbox."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from service_process import ROOT, ServeProcess, grade, import_roster

websocket = pytest.importorskip("websocket", reason="websocket-client drives Chromium's DevTools protocol")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("chromium") is None,
                                 reason="headless Chromium (Debian package chromium) is not installed")]


class Browser:
    """One headless Chromium tab, spoken to over the DevTools protocol: navigate, type, press keys, click where an
    element is, set a file input, read the page."""

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.socket = websocket.create_connection(self._page(profile), timeout=60, suppress_origin=True)
        except BaseException:
            self.process.kill()
            self.process.wait(10)
            raise
        self.next_id = 0
        self.send("Page.enable")
        self.send("DOM.enable")

    def _page(self, profile: Path) -> str:
        """The DevTools websocket of the browser's tab (Chromium writes its port into the profile)."""
        port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + 60
        while not port_file.is_file() or not port_file.read_text().strip():
            assert self.process.poll() is None, "chromium ended before it listened"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            return next(target for target in json.load(answer) if target["type"] == "page")["webSocketDebuggerUrl"]

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, (method, message["error"])
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 120.0):
        """The expression's value once it is truthy (the page may be loading or refreshing meanwhile)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                value = self.evaluate(expression)
            except AssertionError:   # evaluated while a navigation replaced the page
                value = None
            if value:
                return value
            assert time.monotonic() < deadline, f"the page never showed {expression}: {self.text()[:2000]}"
            time.sleep(0.2)

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for(f"document.readyState === 'complete' && location.href.startsWith({json.dumps(url)})")

    def text(self) -> str:
        try:
            return self.evaluate("document.body ? document.body.innerText : ''") or ""
        except AssertionError:
            return ""

    def type_into(self, selector: str, text: str) -> None:
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                      **({"text": "\r"} if kind == "keyDown" else {}))

    def click(self, selector: str) -> None:
        """A mouse click at the middle of the element, as a person's."""
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                            f".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def choose_file(self, selector: str, path: Path) -> None:
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self.send("DOM.setFileInputFiles", nodeId=node, files=[str(path)])

    def close(self) -> None:
        self.socket.close()
        self.process.kill()
        self.process.wait(10)


def test_a_student_hands_in_and_reads_the_score_and_the_instructor_sees_it_on_the_dashboard(tmp_path):
    from grader.sandbox.launchers import bwrap_problem

    data = tmp_path / "data"
    tokens = import_roster(data, ["ana"], tmp_path / "tokens.csv")
    made = grade("serve", "instructor", "--data", str(data), "--out", str(tmp_path / "instructor.txt"))
    assert made.returncode == 0, made.stderr
    instructor_token = (tmp_path / "instructor.txt").read_text().strip()
    weak = ("--allow-weak-isolation",) if bwrap_problem() else ()
    server = ServeProcess(data, "--jobs", "1", *weak).start()
    reference = tmp_path / "backprop.py"
    shutil.copy(ROOT / "solutions" / "02_backprop" / "backprop.py", reference)
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(server.url + "/")
        browser.type_into("input[name=token]", tokens["ana"])
        browser.press_enter()
        browser.wait_for("location.pathname === '/home' && document.readyState === 'complete'")
        assert "signed in as Ana (ana)" in browser.text()

        browser.evaluate("document.querySelector('select[name=exercise]').value = '02_backprop'")
        browser.choose_file("input[name=file]", reference)
        browser.click("form[action='/upload'] button")
        browser.wait_for("location.pathname.startsWith('/submissions/')")
        table = browser.wait_for("document.querySelector('pre.feedback') && document.querySelector('pre.feedback').innerText")
        score = re.search(r"Total: (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", table)
        assert score is not None and "hidden" in table, table
        assert score.group(1) == score.group(2), table   # the reference earns every point, hidden checks included
        submission = browser.evaluate("location.pathname").rsplit("/", 1)[1]

        browser.open(server.url + "/instructor")
        assert "Instructor sign in" in browser.text() and "ana" not in browser.text()
        browser.type_into("input[name=token]", instructor_token)
        browser.press_enter()
        recent = browser.wait_for("document.querySelector('#recent') && document.querySelector('#recent').innerText")
        line = next(line for line in recent.splitlines() if line.split("\t")[0].strip() == submission)
        assert "ana" in line and "Ana" in line and "02_backprop" in line and f"{score.group(1)}/{score.group(2)}" in line
    finally:
        browser.close()
        server.stop()
