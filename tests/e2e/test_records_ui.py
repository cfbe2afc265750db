"""The records views in a browser: grid, filter, sort, inline edit, kanban drag, saved views, import.

A form with a few fields and records is made through the API (as a program would), then the
grid is driven like a person: filter Amount > 100, sort by a header, edit a cell in place,
switch to the kanban and drag a card to another column, save the view, import a CSV file
(first with a bad line the dry run points at, then a good one whose rows appear in the grid),
and delete the imported rows together.
Screenshots of the grid at 1280 and 390 pixels wide are kept for people to look at.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import skip_reason

_reason = skip_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_reason is not None, reason=_reason or "")]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("TACK_E2E_SHOTS", "/tmp/tack-e2e-shots"))

OPEN, DOING, DONE = "o_open", "o_doing", "o_done"
FIELDS = [
    {"id": "f_title001", "name": "Title", "type": "text", "required": True},
    {"id": "f_amount01", "name": "Amount", "type": "number", "settings": {"decimals": 0}},
    {"id": "f_stage001", "name": "Stage", "type": "select", "settings": {"options": [
        {"id": OPEN, "label": "Open", "color": "blue"},
        {"id": DOING, "label": "Doing", "color": "orange"},
        {"id": DONE, "label": "Done", "color": "green"}]}},
    {"id": "f_due00001", "name": "Due", "type": "date"},
]
RECORDS = [("Paper", 40, OPEN), ("Chairs", 250, OPEN), ("Desk", 900, DOING), ("Lamp", 120, DONE),
           ("Pens", 15, DONE)]


class Api:
    """JSON calls with the browser context's session cookie and CSRF token."""

    def __init__(self, page: Any, base: str, org: str) -> None:
        self.req, self.base, self.org = page.request, base, org
        self.csrf = self.req.get(f"{base}/api/v1/me").json()["csrf_token"]

    def post(self, path: str, body: Any) -> Any:
        r = self.req.post(f"{self.base}/api/v1/orgs/{self.org}{path}", data=body,
                          headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"})
        assert r.ok, f"POST {path}: {r.status} {r.text()}"
        return r.json()


def _sign_in(page: Any, base: str) -> str:
    page.goto(base + "/sign-in")
    page.get_by_test_id("sign-in-email").fill("alice@example.com")
    page.get_by_test_id("sign-in-password").fill("demo-password")
    page.get_by_test_id("sign-in-submit").click()
    page.wait_for_url(re.compile(r"/orgs/[^/]+/directory"))
    return re.search(r"/orgs/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]


def _wait_stored(page: Any, api: Api, form_id: str, title: str, field_id: str, value: Any) -> None:
    """Waits until the server holds `value` (the grid shows a change before it is saved)."""
    for _ in range(50):
        items = api.post(f"/forms/{form_id}/records/query",
                         {"filter": {"field": "Title", "op": "eq", "value": title}})["items"]
        if items and items[0]["data"].get(field_id) == value:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{title}.{field_id} never became {value!r} on the server")


def test_grid_kanban_views_and_import(live_server: str, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    ctx = browser.new_context(viewport=DESKTOP, locale="en-US")
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        org = _sign_in(page, live_server)
        api = Api(page, live_server, org)
        app = api.post("/apps", {"name": f"Purchases {uuid.uuid4().hex[:6]}"})
        form = api.post(f"/apps/{app['id']}/forms", {"name": "Orders", "fields": FIELDS})
        api.post(f"/forms/{form['id']}/records/bulk", {"items": [
            {"data": {"Title": t, "Amount": a, "Stage": s, "Due": f"2026-03-{i + 10:02d}"}}
            for i, (t, a, s) in enumerate(RECORDS)]})

        # The grid, reached from the app's page.
        page.goto(f"{live_server}/orgs/{org}/apps/{app['id']}")
        page.get_by_test_id("open-records").click()
        expect(page.get_by_test_id("records-title")).to_have_text("Orders")
        expect(page.get_by_test_id("grid-row")).to_have_count(5)
        expect(page.get_by_test_id("records-count")).to_have_text("5 records")
        page.screenshot(path=str(SHOTS / "records-grid-1280.png"))

        # Filter: Amount > 100.
        page.get_by_test_id("filter-button").click()
        page.get_by_test_id("filter-add").click()
        cond = page.get_by_test_id("filter-condition")
        cond.get_by_test_id("filter-field").select_option(label="Amount")
        cond.get_by_test_id("filter-op").select_option("gt")
        cond.get_by_test_id("filter-value").fill("100")
        expect(page.get_by_test_id("grid-row")).to_have_count(3)
        expect(page.get_by_test_id("records-count")).to_have_text("3 records")
        page.get_by_test_id("filter-button").click()

        # Sort by a header: Amount ascending, then descending.
        page.get_by_test_id("col-Amount").get_by_role("button").click()
        expect(page.get_by_test_id("col-Amount")).to_have_attribute("aria-sort", "ascending")
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=grid-row] [data-testid=cell-Title]')]"
                               ".map(e => e.innerText.trim()).join() === 'Lamp,Chairs,Desk'")
        page.get_by_test_id("col-Amount").get_by_role("button").click()
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=grid-row] [data-testid=cell-Title]')]"
                               ".map(e => e.innerText.trim()).join() === 'Desk,Chairs,Lamp'")

        # Inline edit: Chairs costs 260 now (sent with its version; the record follows).
        chairs = page.get_by_test_id("grid-row").filter(has_text="Chairs")
        chairs.get_by_test_id("cell-Amount").dblclick()
        box = page.get_by_test_id("cell-editor").locator("input")
        box.fill("260")
        box.press("Enter")
        expect(chairs.get_by_test_id("cell-Amount")).to_have_text("260")
        _wait_stored(page, api, form["id"], "Chairs", "f_amount01", 260)
        chairs_now = api.post(f"/forms/{form['id']}/records/query",
                              {"filter": {"field": "Title", "op": "eq", "value": "Chairs"}})["items"][0]
        assert chairs_now["version"] == 2  # one revision, sent with the version the grid read

        # Column resize by dragging the header's edge.
        handle = page.get_by_test_id("resize-Title")
        hb = handle.bounding_box()
        assert hb is not None
        before = page.get_by_test_id("col-Title").bounding_box()["width"]  # type: ignore[index]
        page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
        page.mouse.down()
        page.mouse.move(hb["x"] + 80, hb["y"] + hb["height"] / 2, steps=4)
        page.mouse.up()
        assert page.get_by_test_id("col-Title").bounding_box()["width"] > before + 50  # type: ignore[index]

        # Kanban by Stage: drag Chairs from Open to Done.
        page.get_by_test_id("kind-kanban").click()
        expect(page.get_by_test_id("group-by")).to_have_value("f_stage001")
        open_lane, done_lane = page.get_by_test_id("lane-Open"), page.get_by_test_id("lane-Done")
        expect(open_lane.get_by_test_id("record-card")).to_have_count(1)
        expect(done_lane.get_by_test_id("record-card")).to_have_count(1)
        open_lane.get_by_test_id("record-card").filter(has_text="Chairs").drag_to(done_lane)
        expect(done_lane.get_by_test_id("record-card")).to_have_count(2)
        expect(open_lane.get_by_test_id("record-card")).to_have_count(0)
        _wait_stored(page, api, form["id"], "Chairs", "f_stage001", DONE)

        # Save it as a view; it is listed and opens again with its filter.
        page.get_by_test_id("view-save-button").click()
        page.get_by_test_id("view-name").fill("Big orders board")
        page.get_by_test_id("view-save").click()
        expect(page.get_by_test_id("view-tab-Big orders board")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_test_id("view-save-button")).to_have_count(0)
        page.get_by_test_id("view-all").click()
        expect(page.get_by_test_id("grid-row")).to_have_count(5)
        page.get_by_test_id("view-tab-Big orders board").click()
        expect(page.get_by_test_id("lane-Done").get_by_test_id("record-card")).to_have_count(2)
        expect(page.get_by_test_id("filter-button")).to_contain_text("(1)")

        # Import: a CSV with a bad line is refused by the dry run, line and column named.
        page.get_by_test_id("open-import").click()
        bad = tmp_path / "bad.csv"
        bad.write_text("Title,Amount,Stage\nStool,75,Open\nShelf,lots,Doing\n", encoding="utf-8")
        page.get_by_test_id("import-file").set_input_files(str(bad))
        problem = page.get_by_test_id("import-problem")
        expect(problem).to_have_count(1)
        expect(problem.locator("td").nth(0)).to_have_text("3")
        expect(problem.locator("td").nth(1)).to_contain_text("Amount")
        expect(page.get_by_test_id("import-commit")).to_have_count(0)

        good = tmp_path / "good.csv"
        good.write_text("Title,Amount,Stage\nStool,75,Open\nShelf,310,Doing\n", encoding="utf-8")
        page.get_by_test_id("import-other-file").click()
        page.get_by_test_id("import-file").set_input_files(str(good))
        expect(page.get_by_test_id("import-ready")).to_be_visible()
        page.get_by_test_id("import-commit").click()
        expect(page.get_by_test_id("import-done")).to_contain_text("2 records imported")
        page.get_by_test_id("import-open-records").click()
        expect(page.get_by_test_id("grid-row")).to_have_count(7)
        expect(page.get_by_test_id("records-grid")).to_contain_text("Shelf")

        # Bulk delete: tick the two imported rows, delete them together.
        for title in ("Stool", "Shelf"):
            page.get_by_test_id("grid-row").filter(has_text=title).get_by_test_id("select-row").check()
        expect(page.get_by_test_id("bulk-bar")).to_contain_text("2 selected")
        page.get_by_test_id("bulk-delete").click()
        page.get_by_test_id("confirm-bulk-delete").click()
        expect(page.get_by_test_id("grid-row")).to_have_count(5)
        expect(page.get_by_test_id("records-count")).to_have_text("5 records")

        # The phone: the grid scrolls sideways inside its frame.
        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.get_by_test_id("grid-row")).to_have_count(5)
        grid = page.get_by_test_id("records-grid")
        assert grid.evaluate("e => e.scrollWidth > e.clientWidth")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(SHOTS / "records-grid-390.png"))
        assert not errors, errors
    except Exception:
        page.screenshot(path=str(SHOTS / "records-failure.png"))
        raise
    finally:
        ctx.close()
