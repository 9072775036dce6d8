"""The dashboard in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``):
it loads, shows a ticket received through the API without a reload, a review written by
another process in its QA panel, and forecasts. A screenshot is saved to
``test-artifacts/`` (or ``$TICKETLOG_ARTIFACTS``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as Driver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.test_service import Server, post
from tests.quality_support import SUPPORT
from ticketlog import HelpDesk

ARTIFACTS = Path(
    os.environ.get("TICKETLOG_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    if CHROMIUM is None or DRIVER is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("chromium and chromium-driver are not installed; CI must have them")
        pytest.skip("chromium and chromium-driver are not installed (apt install them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Driver(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/desk.db"


@pytest.fixture
def server(store_url: str) -> Iterator[Server]:
    running = Server(store_url)
    try:
        yield running
    finally:
        assert running.stop() == 0


def test_the_dashboard_shows_a_new_ticket_without_a_reload_and_forecasts(
    server: Server, store_url: str, browser: WebDriver
) -> None:
    ann = post(server, "/agents", {"name": "Ann", "capacity": 2}).json()["id"]
    done = post(server, "/tickets", {"channel": "email", "customer_id": "a"}).json()["id"]
    post(server, f"/tickets/{done}/assign", {"agent_id": ann})
    post(server, f"/tickets/{done}/resolve", {"agent_id": ann})
    browser.get(server.url + "/")
    WebDriverWait(browser, 10).until(
        lambda b: (
            "Ann" in b.find_element(By.ID, "agents").text
            and b.find_element(By.ID, "status").text == "live"
        )
    )
    ticket = post(server, "/tickets", {"channel": "chat", "customer_id": "b", "priority": "urgent"})
    short = ticket.json()["id"][:8]
    WebDriverWait(browser, 2).until(lambda b: short in b.find_element(By.ID, "queue").text)
    with HelpDesk(store_url, scorecards=[SUPPORT]) as desk:
        rita = desk.join_agent("Rita", reviewer=True)
        desk.review(done, rita, {"accuracy": 5, "empathy": 4, "clarity": 3})
    WebDriverWait(browser, 5).until(lambda b: "Ann" in b.find_element(By.ID, "quality").text)
    assert "1 review, 100.0 % passing" in browser.find_element(By.ID, "calibration").text
    assert "4.00" in browser.find_element(By.ID, "quality").text  # equal weights: no desk file
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
    browser.find_element(By.CSS_SELECTOR, "#whatif button").click()
    WebDriverWait(browser, 20).until(lambda b: "fifo" in b.find_element(By.ID, "forecast").text)
    assert "priority" in browser.find_element(By.ID, "forecast").text
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert httpx.get(f"{server.url}/health").status_code == 200
