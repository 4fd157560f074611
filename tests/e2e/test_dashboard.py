"""The dashboard in a real browser (Debian's Chromium driven by Playwright)
against `shelfpilot serve` started on 127.0.0.1 with the demo bakery.

A second store of the same brand (with one lot) makes the store manager's
limits visible. Screenshots of every page, at desktop and phone width, are
saved under ``SHELFPILOT_ARTIFACTS`` (default ``build/screenshots``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from shelfpilot.domain import EntryKind, Location, LocationKind
from shelfpilot.services import catalog, daily_cycle, identity, inventory, plans
from shelfpilot.services.commands import ReceiveLot
from shelfpilot.services.demo import build_demo
from shelfpilot.storage import Database
from shelfpilot.web.templating import gettext
from tests.e2e.test_serve import free_port
from tests.integration.demo_bakery import DEMO_UNTIL

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: as root in a container, without the background traffic a closed network refuses
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(os.environ.get("SHELFPILOT_ARTIFACTS", "build/screenshots"))
PASSWORD = "a long passphrase"
DESKTOP, PHONE = {"width": 1280, "height": 860}, {"width": 390, "height": 844}
ZH = "zh-CN"


@dataclass(frozen=True)
class Site:
    base: str
    db: Database
    other_lot: str


def _browser_missing() -> str | None:
    if os.path.exists(CHROMIUM):
        return None
    return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("SHELFPILOT_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'demo.db'}"
    db = Database(url)
    summary = build_demo(db, until=DEMO_UNTIL)
    as_of = summary.default_as_of.replace(hour=15, minute=0)
    catalog.save_locations(
        db,
        [Location("BB-LEI", "The Bread Basket, Leith", LocationKind.STORE, "BB", "Europe/London")],
    )
    sku = catalog.products(db)[0].sku
    inventory.receive_lot(
        db, ReceiveLot("BB-LEI", sku, "LEITH-1", Decimal(12), as_of - timedelta(hours=6))
    )
    # yesterday a food bank collected from Edinburgh: the results page names it
    gift = ReceiveLot("BB-EDI", sku, "GIFT-1", Decimal(5), as_of - timedelta(hours=30))
    inventory.receive_lot(db, gift)
    inventory.remove_stock(
        db,
        inventory.RemoveStock(
            "BB-EDI", sku, "GIFT-1", EntryKind.DONATION, Decimal(3), as_of - timedelta(hours=26),
            recipient="Edinburgh Food Bank", receipt="EFB-1",
        ),
    )  # fmt: skip
    # three days before, a daily run kept its week's forecast: the forecast page
    # sets those days against what sold
    daily_cycle.run_cycle(
        db, as_of - timedelta(days=3), "BB-EDI", actor="test",
        model_path=folder / "demo.demand.pkl",
    )  # fmt: skip
    identity.create_user(db, "admin", PASSWORD, "brand_admin", location="BB", actor="test")
    identity.create_user(db, "edi", PASSWORD, "store_manager", location="BB-EDI", actor="test")
    port = free_port()
    env = {**os.environ, "SHELFPILOT_DB_URL": url, "SHELFPILOT_SECRET_KEY": "k" * 48}
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfpilot.cli", "serve", "--port", str(port), "--no-access-log",
         "--as-of", as_of.isoformat()],
        env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=log, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/app/login").status_code == 200:
                break
        except httpx.ConnectError:
            pass
        assert server.poll() is None, (folder / "server.log").read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)
    try:
        yield Site(base, db, f"/app/lots/BB-LEI/{sku}/LEITH-1")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        db.close()
    logged = (folder / "server.log").read_text()
    assert "Traceback" not in logged, logged


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def log_in(browser: object, site: Site, user: str, viewport: dict[str, int] = DESKTOP) -> object:
    context = browser.new_context(viewport=viewport, locale="en-GB")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{site.base}/app/")
    assert page.url.endswith("/app/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{site.base}/app/")
    return page


def shoot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_wrong_password_is_refused_on_the_page(browser: object, site: Site) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{site.base}/app/login")
    page.fill("#username", "edi")
    page.fill("#password", "not the password")
    page.click("button.primary")
    assert "wrong user name or password" in page.inner_text("[role=alert]")
    shoot(page, "login-desktop")
    page.close()
    # a login posted from elsewhere (no form nonce, or another browser's) is refused
    for cookies in ({}, {"sp_login": "f" * 64}):
        forged = httpx.post(
            f"{site.base}/app/login", cookies=cookies,
            data={"username": "edi", "password": PASSWORD, "nonce": "0" * 64},
        )  # fmt: skip
        assert forged.status_code == 403 and "sp_session" not in forged.cookies
        assert "the login form has expired" in forged.text


def test_switch_to_chinese_and_back_and_it_is_remembered(browser: object, site: Site) -> None:
    page = log_in(browser, site, "edi")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("nav [aria-current=page]") == "Today"
    page.click("[data-test=switch-language]")
    page.wait_for_selector("html[lang=zh-CN]")
    today = gettext(ZH, "Today")
    assert today != "Today"
    assert page.inner_text("nav [aria-current=page]") == today
    assert gettext(ZH, "Log out") in page.inner_text("header")
    # remembered on the account: a new browser, logged in afresh, speaks Chinese
    again = log_in(browser, site, "edi")
    assert again.get_attribute("html", "lang") == ZH
    again.click("[data-test=switch-language]")
    again.wait_for_selector("html[lang=en]")
    assert again.inner_text("nav [aria-current=page]") == "Today"
    page.context.close()
    again.context.close()


def test_logging_out_ends_the_login_even_where_its_cookie_was_kept(
    browser: object, site: Site
) -> None:
    page = log_in(browser, site, "edi")
    kept = [c for c in page.context.cookies() if c["name"] == "sp_session"]
    assert kept
    page.click("header form[action$='/logout'] button")
    page.wait_for_url(f"{site.base}/app/login")
    # the same cookie, replayed in another browser, no longer opens a page
    other = browser.new_context()  # type: ignore[attr-defined]
    other.add_cookies(kept)
    stolen = other.new_page()
    stolen.goto(f"{site.base}/app/lots")
    assert stolen.url.endswith("/app/login")
    # and logging in again right away works
    again = log_in(browser, site, "edi")
    assert again.get_attribute("html", "lang") in ("en", ZH)
    for context in (page.context, other, again.context):
        context.close()


def test_an_import_with_a_bad_row_shows_the_row_and_saves_nothing(
    browser: object, site: Site, tmp_path: Path
) -> None:
    with site.db.transaction(readonly=True) as uow:
        before = len(uow.stock.ledger())
    sku = catalog.products(site.db)[0].sku
    sheet = tmp_path / "receipts.csv"
    sheet.write_text(
        "location,sku,lot_code,quantity,received_at\n"
        f"BB-EDI,{sku},E2E-1,10,2016-12-15 07:00\n"
        f"BB-EDI,{sku},E2E-2,ten,2016-12-15 07:00\n",
        encoding="utf-8",
    )
    page = log_in(browser, site, "edi")
    page.click("nav >> text=Import")
    page.select_option("#kind", "lots")
    page.set_input_files("#file", str(sheet))
    page.click("[data-test=upload]")
    table = page.wait_for_selector("[data-test=row-errors]")
    cells = [c.inner_text() for c in table.query_selector_all("tbody tr:first-child td")]
    assert cells[:3] == ["receipts.csv", "3", "quantity"]
    assert "nothing" in page.inner_text("[role=alert]")
    shoot(page, "import-desktop")
    with site.db.transaction(readonly=True) as uow:
        assert len(uow.stock.ledger()) == before
    page.context.close()


def test_run_the_day_approve_a_markdown_and_find_it_in_the_audit_log(
    browser: object, site: Site
) -> None:
    page = log_in(browser, site, "edi")
    page.click("[data-test=daily-run]")
    page.wait_for_selector("[data-test=run-done]", timeout=240_000)
    page.click("[data-test=run-done] a")
    page.wait_for_selector("[data-test=plan-line]")
    line = page.locator("[data-test=plan-line]", has=page.locator("[data-test=approve]")).first
    line_id = line.get_attribute("data-line")
    assert line_id is not None
    line.locator("[data-test=approve]").click()
    approved = page.locator(f"#line-{line_id} [data-test=line-status]")
    approved.wait_for()
    page.wait_for_function(
        f"document.querySelector('#line-{line_id} [data-test=line-status]').innerText === 'Approved'"
    )
    plan, decided = next(
        (p, line) for p in plans.plans(site.db, location="BB-EDI") for line in p.lines
        if str(line.line_id) == line_id
    )  # fmt: skip
    assert decided.status.value == "approved" and decided.decided_by is not None
    # the run kept the week's forecast, to be set against the sales later
    with site.db.transaction(readonly=True) as uow:
        week = uow.forecasts.latest_before(
            "BB-EDI", decided.lot.sku, plan.business_day, plan.business_day + timedelta(days=6)
        )
    assert len(week) == 7 and {r.made_on for r in week} == {plan.business_day}
    shoot(page, "plan-desktop")
    admin = log_in(browser, site, "admin")
    admin.click("nav >> text=Audit log")
    rows = admin.locator("[data-test=audit] tbody tr", has_text="plan.approve")
    assert rows.count() >= 1
    assert decided.lot.lot_code in rows.first.inner_text()
    shoot(admin, "audit-desktop")
    page.context.close()
    admin.context.close()


def test_a_store_manager_cannot_open_another_stores_lot(browser: object, site: Site) -> None:
    page = log_in(browser, site, "edi")
    response = page.goto(site.base + site.other_lot)
    assert response is not None and response.status == 403
    assert "BB-LEI" in page.inner_text("[role=alert]")
    page.goto(f"{site.base}/app/lots")
    assert "LEITH-1" not in page.inner_text("main")
    # nor by asking for the store, or posting to it with a valid form token
    assert page.goto(f"{site.base}/app/?store=BB-LEI").status == 403
    page.goto(f"{site.base}/app/import")
    token = {"X-CSRF-Token": page.get_attribute("input[name=csrf]", "value") or ""}
    for path, form in (
        ("/app/daily-run", {"store": "BB-LEI"}),
        ("/app/plan/BB-LEI/bulk", {"decision": "approve", "lines": "1:1"}),
        ("/app/plan/BB-LEI/lines/1", {"decision": "approve", "version": "1"}),
    ):
        answer = page.request.post(site.base + path, form=form, headers=token)
        assert answer.status == 403, (path, answer.status)
    # odd input is a page that says what is wrong, never a crash
    for path, form in (
        ("/app/plan/BB-EDI/lines/99999999999999999999", {"decision": "approve", "version": "1"}),
        ("/app/plan/BB-EDI/bulk", {"decision": "approve", "lines": "²:1"}),
    ):
        answer = page.request.post(site.base + path, form=form, headers=token)
        assert answer.status == 422 and "<html" in answer.text().lower(), (path, answer.status)
    big = {
        "kind": "lots",
        "file": {"name": "big.csv", "mimeType": "text/csv", "buffer": b"x" * 1_200_000},
    }
    answer = page.request.post(f"{site.base}/app/import", multipart=big, headers=token)
    assert answer.status == 413 and "1 MB" in answer.text()
    admin = log_in(browser, site, "admin")
    response = admin.goto(site.base + site.other_lot)
    assert response is not None and response.status == 200
    assert "LEITH-1" in admin.inner_text("h1")
    page.context.close()
    admin.context.close()


def test_the_forecast_page_sets_past_forecasts_against_the_sales(
    browser: object, site: Site
) -> None:
    page = log_in(browser, site, "edi")
    page.click("nav >> text=Forecast")
    page.wait_for_selector(".chart[data-drawn]")
    checked = int(page.inner_text(".pairs dd:first-of-type"))
    assert 1 <= checked <= 3  # the three days since that run (sold-out days left out)
    assert page.inner_text("[data-test=coverage]").endswith("%")
    options = page.evaluate("() => JSON.parse(document.querySelector('.chart').dataset.chart)")
    made = next(s for s in options["series"] if s["name"] == "Forecast made that morning")
    assert sum(v is not None for v in made["data"]) == 3
    shoot(page, "forecast-checked-desktop")
    page.context.close()


#: text whose contrast with its background is under WCAG AA (4.5:1, large text 3:1)
LOW_CONTRAST = """() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number).concat([1]).slice(0, 4);
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3]))
    .concat([1]);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reduceRight((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, .skip, [disabled], [hidden]')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || Number(style.opacity) === 0) continue;
    const back = background(el);
    const fore = over(rgba(style.color), back);
    const [hi, lo] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
  }
  return bad;
}"""

PAGES = ["/app/", "/app/lots", "/app/plan", "/app/forecast", "/app/results", "/app/import",
         "/app/settings", "/app/audit"]  # fmt: skip


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_renders_fits_and_is_screenshotted(
    browser: object, site: Site, size: str
) -> None:
    page = log_in(browser, site, "admin", DESKTOP if size == "desktop" else PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    first_lot = None
    for path in PAGES:
        response = page.goto(site.base + path)
        assert response is not None and response.status == 200, path
        for chart in page.query_selector_all(".chart[data-chart]"):
            page.wait_for_function("(el) => el.dataset.drawn === '1'", arg=chart)
            assert chart.query_selector("svg") is not None, path
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
        assert page.evaluate(LOW_CONTRAST) == [], path
        if size == "phone":
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
        name = path.strip("/").removeprefix("app").strip("/") or "today"
        shoot(page, f"{name}-{size}")
        if path == "/app/results":
            given = page.locator("[data-test=recipients] tbody tr").first.inner_text()
            assert "Edinburgh Food Bank" in given and "3" in given, given
        if path == "/app/lots":
            link = page.query_selector("[data-test=lifecycle] tbody a")
            first_lot = link.get_attribute("href") if link else None
    assert first_lot is not None
    page.goto(site.base + first_lot)
    page.wait_for_selector("[data-test=ledger]")
    shoot(page, f"lot-{size}")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    # the contrast check does see faint text (grey on white is 1.9:1)
    page.evaluate("""() => { const p = document.createElement('p'); p.textContent = 'faint';
        p.style.color = '#bbbbbb'; document.querySelector('main').append(p); }""")
    assert any('"faint"' in found for found in page.evaluate(LOW_CONTRAST))
    if size == "desktop":  # the picture of the README: the day with its plan, in Chinese
        page.goto(f"{site.base}/app/")
        page.click("[data-test=switch-language]")
        page.wait_for_selector("html[lang=zh-CN] .chart[data-drawn]")
        shoot(page, "today-zh-desktop")
        page.click("[data-test=switch-language]")
        page.wait_for_selector("html[lang=en]")
    assert errors == []
    page.context.close()
