"""A real headless Chromium for the browser tests: Debian's `chromium` driven by Selenium
through Debian's `chromedriver` (no browser is downloaded at test time; `make browser`
installs both). The accessibility check injects axe-core from a vendored copy.

Where the browser is missing the tests skip, except under CI (`CI` set), where they fail.
Screenshots are written only when `SCREENSHOTS_DIR` names a folder (`make screenshots`).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from shoppers import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WAIT_SECONDS = 20.0
SERIOUS = ("serious", "critical")
EXPECTED_REFUSAL = "the server responded with a status of 4"
REDRAWN = (StaleElementReferenceException, NoSuchElementException)
"""What a check meets while the page redraws: it is tried again."""

T = TypeVar("T")


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() or shutil.which(path)):
            return f"{path} is not installed (make browser)"
    return None


def chromium() -> Iterator[WebDriver]:
    """A headless Chromium for one test module; quits at the end."""
    missing = browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--lang=en-US",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(
    driver: WebDriver,
    check: Callable[[WebDriver], T | None],
    what: str,
    within: float = WAIT_SECONDS,
) -> T:
    """`check`'s first truthy result, polled up to `within` seconds."""
    try:
        found: T = WebDriverWait(
            driver, within, poll_frequency=0.1, ignored_exceptions=REDRAWN
        ).until(lambda d: check(d) or False)
        return found
    except Exception as error:
        raise AssertionError(
            f"waited {within}s for {what}; page at {driver.current_url}:\n"
            f"{body_text(driver)[:1500]}\nconsole: {console_errors(driver)}"
        ) from error


def find(driver: WebDriver, css: str) -> WebElement:
    return wait_for(driver, lambda d: visible(d, css), f"`{css}`")


def redrawn_safe(driver: WebDriver, action: Callable[[WebDriver], T], what: str) -> T:
    """`action`'s result, run again while the page redraws under it: the single-page app
    replaces whole views, so an element found a moment ago can be gone when it is read."""
    return wait_for(driver, lambda d: (action(d),), what)[0]


def click(driver: WebDriver, css: str) -> None:
    """Click the first visible element `css` selects, found again if the page redraws it."""
    redrawn_safe(driver, lambda d: find(d, css).click(), f"`{css}`, clicked")


def text_of(driver: WebDriver, css: str) -> str:
    """The (rendered) text of the first element `css` selects, once there is one; an empty
    counter is still read, though it takes no room on the page."""

    def read(d: WebDriver) -> tuple[str] | None:
        elements = d.find_elements(By.CSS_SELECTOR, css)
        return (str(elements[0].text),) if elements else None

    return wait_for(driver, read, f"`{css}`")[0]


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    """Type each value into the field its CSS selector names (a redrawn form fails it)."""
    for css, value in values.items():
        field = find(driver, css)
        field.clear()
        field.send_keys(value)


def visible(driver: WebDriver, css: str) -> WebElement | None:
    for element in driver.find_elements(By.CSS_SELECTOR, css):
        if element.is_displayed():
            return element
    return None


def body_text(driver: WebDriver) -> str:
    try:
        return str(driver.find_element(By.TAG_NAME, "body").text)
    except Exception:
        return "(no body)"


def console_errors(driver: WebDriver) -> list[str]:
    """The page's console errors (a CSP refusal is one), less the answers a story expects
    (a 403 the page shows as a refusal is logged as a failed load)."""
    try:
        entries: list[dict[str, Any]] = driver.execute("getLog", {"type": "browser"})["value"]
    except Exception:
        return []
    return [
        str(e["message"])
        for e in entries
        if e.get("level") == "SEVERE" and EXPECTED_REFUSAL not in str(e["message"])
    ]


def serious_violations(driver: WebDriver) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 AA)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a",
          "wcag21aa", "best-practice"]}})
          .then((r) => done({violations: r.violations}))
          .catch((e) => done({error: String(e)}));
        """
    )
    assert "error" not in result, result
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v.get("impact") in SERIOUS
    ]


def accessible(driver: WebDriver, page: str) -> None:
    """No serious axe-core violation on the page, and no console error (a CSP refusal is one)."""
    violations = serious_violations(driver)
    assert violations == [], f"{page}: {violations}"
    errors = console_errors(driver)
    assert errors == [], f"{page}: {errors}"


def new_customer(edge: str) -> tuple[str, str]:
    """A customer registered over the API: (email, access token)."""
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    tokens = []
    for path in ("/auth/register", "/auth/login"):
        body = {"email": email, "password": PASSWORD, "name": "Ada"}
        if path == "/auth/login":
            del body["name"]
        request = urllib.request.Request(
            f"{edge}{path}", method="POST", data=json.dumps(body).encode()
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=15) as response:
            tokens.append(json.loads(response.read()).get("access_token", ""))
    return email, tokens[-1]


def screenshot(driver: WebDriver, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR", "").strip()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))
