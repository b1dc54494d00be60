"""Real-browser fixtures: Debian's Chromium driven by Playwright, against pytest-django's live server
(which shares the test database with the real Celery worker). Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium fonts-noto-cjk).")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


class Person:
    """A browser tab with helpers for what a person does: log in, look, take a screenshot."""

    def __init__(self, page, base_url: str, name: str):
        self.page, self.base_url, self.name = page, base_url, name
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" and
                "Failed to load resource" not in msg.text else None)
        page.on("response", lambda r: self.errors.append(f"HTTP {r.status} {r.request.method} {r.url}")
                if r.status >= 400 and r.status != 409 else None)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        """confirm() is answered yes; any alert (a stored-XSS payload would raise one) is an error."""
        if dialog.type == "alert":
            self.errors.append(f"unexpected alert: {dialog.message}")
            dialog.dismiss()
        else:
            dialog.accept(self.prompt_answer if dialog.type == "prompt" else None)

    prompt_answer = "Renamed in the browser"

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def login(self, username: str, password: str) -> None:
        self.go("/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base_url + "/")

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{step}.png"), full_page=True)


@pytest.fixture
def person(chromium, live_server, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    visitor = Person(page, live_server.url, request.node.name)
    yield visitor
    context.close()
    assert not [e for e in visitor.errors if "favicon" not in e], visitor.errors  # no JavaScript errors
