"""An approval flow from design to decision, the way people would do it.

Desktop: alice (owner) opens the flow designer of a leave form with Days (number) and Type
(select), builds start → condition (Days > 3: the chain of managers up to level 2; otherwise:
the direct manager) → CC, sees Publish refused with the problem marked on the branch that has
no condition yet, writes it, publishes.
Phone (390 × 844): carol (whose manager is dan) submits a leave request and watches the path
preview follow the number of days; dan finds it in his approvals inbox (unread) and approves
it; carol sees it approved.
"""

from __future__ import annotations

import re
import uuid

import pytest

from .conftest import skip_reason

_reason = skip_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_reason is not None, reason=_reason or "")]

DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def _sign_in(page, base: str, email: str) -> str:
    page.goto(base + "/sign-in")
    page.get_by_test_id("sign-in-email").fill(email)
    page.get_by_test_id("sign-in-password").fill("demo-password")
    page.get_by_test_id("sign-in-submit").click()
    page.wait_for_url(re.compile(r"/orgs/[^/]+/directory"))
    return re.search(r"/orgs/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]


def _api(page, base: str, method: str, path: str, body: object | None = None) -> dict:
    """A JSON request with the signed-in page's session (and its CSRF token)."""
    me = page.request.get(base + "/api/v1/me").json()
    r = page.request.fetch(base + "/api/v1" + path, method=method, headers={"X-CSRF-Token": me["csrf_token"]}, data=body)
    assert r.ok, f"{method} {path}: {r.status} {r.text()}"
    return r.json()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width})"


def test_design_publish_submit_on_phone_approve(live_server: str, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    suffix = uuid.uuid4().hex[:6]
    errors: list[str] = []

    # ---- alice designs the flow ------------------------------------------------------------
    desk = browser.new_context(viewport=DESKTOP, locale="en-US")
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        org = _sign_in(page, live_server, "alice@example.com")
        app = _api(page, live_server, "POST", f"/orgs/{org}/apps", {"name": f"People {suffix}"})
        form = _api(page, live_server, "POST", f"/orgs/{org}/apps/{app['id']}/forms", {"name": "Leave request", "fields": [
            {"id": "f_days0001", "name": "Days", "type": "number", "required": True},
            {"id": "f_type0001", "name": "Type", "type": "select", "settings": {"options": [
                {"id": "oannual", "label": "Annual"}, {"id": "osick", "label": "Sick"}]}},
        ]})
        form_id = form["id"]

        page.goto(f"{live_server}/orgs/{org}/apps/{app['id']}?form={form_id}")
        page.get_by_test_id("design-flow").click()
        page.wait_for_url(re.compile(rf"/forms/{form_id}/flow$"))
        page.get_by_test_id("flow-name").fill("Leave approval")

        # start → condition → CC
        page.get_by_test_id("add-root-1").click()
        page.get_by_test_id("add-condition").click()
        branches = page.locator("[data-branch-id]")
        expect(branches).to_have_count(2)
        long_id = branches.nth(0).get_attribute("data-branch-id")
        else_id = branches.nth(1).get_attribute("data-branch-id")
        assert long_id and else_id and re.fullmatch(r"b_[a-z0-9]{8}", long_id)

        # Days > 3: the managers one after another, up to level 2
        page.get_by_test_id(f"add-{long_id}-0").click()
        page.get_by_test_id("add-approver").click()
        panel = page.get_by_test_id("flow-panel")
        panel.get_by_test_id("node-name").fill("Managers")
        panel.get_by_test_id("rule-kind-0").select_option("manager_chain")
        panel.get_by_test_id("chain-level-0").check()
        panel.get_by_test_id("chain-level-input-0").fill("2")
        panel.get_by_test_id("mode-sequential").check()

        # otherwise: the direct manager (the new approver's default rule)
        page.get_by_test_id(f"add-{else_id}-0").click()
        page.get_by_test_id("add-approver").click()
        panel.get_by_test_id("node-name").fill("Manager")

        # then a copy to HR's Leo
        page.get_by_test_id("add-root-2").click()
        page.get_by_test_id("add-cc").click()
        panel.get_by_test_id("node-name").fill("HR")
        panel.get_by_test_id("rule-kind-0").select_option("members")
        panel.get_by_test_id("rule-members-0-search").fill("Leo")
        panel.get_by_test_id("pick-leo@example.com").click()
        panel.get_by_test_id("sheet-close").click()
        expect(page.get_by_test_id("node-HR")).to_contain_text("Leo Guo")
        expect(page.get_by_test_id("node-Managers")).to_contain_text("Managers up to level 2")

        # Publishing with a branch that has no condition is refused, the branch marked.
        page.get_by_test_id("publish-flow").click()
        expect(page.get_by_test_id("flow-blocked")).to_be_visible()
        long_card = page.locator(f"[data-branch-id={long_id}]")
        expect(long_card.get_by_test_id("node-problem-marker")).to_be_visible()
        long_card.click()
        page.get_by_test_id("branch-condition").fill("Days > 3")
        panel.get_by_test_id("sheet-close").click()
        expect(long_card.get_by_test_id("node-problem-marker")).to_have_count(0)

        page.get_by_test_id("publish-flow").click()
        expect(page.get_by_test_id("flow-notice")).to_contain_text("version 1")
        expect(page.get_by_test_id("flow-state")).to_contain_text("Version 1 is live")
        page.screenshot(path=str(tmp_path / "designer.png"), full_page=True)
        flow = _api(page, live_server, "GET", f"/orgs/{org}/forms/{form_id}/flow")
        assert flow["version"] == 1 and [n["type"] for n in flow["published"]["nodes"]] == ["start", "condition", "cc"]
    finally:
        desk.close()

    # ---- carol submits a leave request on her phone ----------------------------------------
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, live_server, "carol@example.com")
        page.goto(f"{live_server}/orgs/{org}/apps/{app['id']}?form={form_id}")
        page.get_by_test_id("submit-approval-link").click()
        page.wait_for_url(re.compile(rf"/forms/{form_id}/submit$"))
        preview = page.get_by_test_id("path-preview")
        page.get_by_test_id("input-Days").fill("5")
        expect(preview.get_by_test_id("step-Managers")).to_contain_text("Dan Zhao")
        expect(preview.get_by_test_id("step-Managers")).to_contain_text("Bob Li")
        page.get_by_test_id("input-Days").fill("2")
        expect(preview.get_by_test_id("step-Manager")).to_contain_text("Dan Zhao")
        expect(preview.get_by_test_id("step-Managers")).to_have_count(0)
        expect(preview.get_by_test_id("step-HR")).to_contain_text("Leo Guo")
        page.get_by_test_id("input-Type").get_by_text("Annual").click()
        _no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "submit-phone.png"), full_page=True)
        page.get_by_test_id("submit-approval").click()
        page.wait_for_url(re.compile(r"/approvals/[0-9a-f-]{36}$"))
        instance_url = page.url
        instance_id = instance_url.rsplit("/", 1)[1]
        expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "running")
        expect(page.get_by_test_id("instance-path").get_by_test_id("step-Manager")).to_have_attribute("data-state", "active")
        _no_sideways_scroll(page)
        # A second request, for the race below.
        second = _api(page, live_server, "POST", f"/orgs/{org}/forms/{form_id}/approvals",
                      {"data": {"f_days0001": 1, "f_type0001": "osick"}})
    finally:
        phone.close()

    # ---- dan approves it from his inbox ------------------------------------------------------
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, live_server, "dan@example.com")
        # The assignee was notified in the web app: the bell counts it and lists it.
        expect(page.get_by_test_id("notification-count")).to_have_text(re.compile(r"[1-9]"))
        page.get_by_test_id("notification-bell").click()
        expect(page.get_by_test_id("notification-panel")).to_contain_text("Leave request")
        page.get_by_test_id("notification-bell").click()
        page.get_by_test_id("menu-button").click()
        page.get_by_test_id("nav-approvals").click()
        page.wait_for_url(re.compile(r"/approvals$"))
        expect(page.get_by_test_id("inbox-count-todo")).to_have_text(re.compile(r"[1-9]"))
        item = page.locator(f'[data-testid=inbox-item]:has(a[href$="{instance_id}"])')
        expect(item).to_contain_text("Leave request")
        expect(item.get_by_test_id("unread-dot")).to_be_visible()
        _no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "inbox-phone.png"), full_page=True)
        item.locator(".inbox-link").click()
        page.wait_for_url(instance_url)
        expect(page.get_by_test_id("your-turn")).to_be_visible()
        expect(page.get_by_test_id("value-Days")).to_contain_text("2")
        page.get_by_test_id("action-approve").click()
        dialog = page.get_by_test_id("action-dialog")
        dialog.get_by_test_id("action-comment").fill("Enjoy the days off")
        dialog.get_by_test_id("action-send").click()
        expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "approved")
        expect(page.get_by_test_id("timeline")).to_contain_text("Enjoy the days off")
        expect(page.get_by_test_id("action-approve")).to_have_count(0)
        _no_sideways_scroll(page)
        page.screenshot(path=str(tmp_path / "instance-phone.png"), full_page=True)

        # Someone (here dan himself, in another tab) acts first: the page says so and reloads.
        page.goto(f"{live_server}/orgs/{org}/approvals/{second['id']}")
        expect(page.get_by_test_id("your-turn")).to_be_visible()
        task_id = _api(page, live_server, "GET", f"/orgs/{org}/approvals/{second['id']}")["my_tasks"][0]["id"]
        _api(page, live_server, "POST", f"/orgs/{org}/tasks/{task_id}/approve", {})
        page.get_by_test_id("action-approve").click()
        page.get_by_test_id("action-dialog").get_by_test_id("action-send").click()
        expect(page.get_by_test_id("instance-conflict")).to_be_visible()
        expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "approved")
        expect(page.get_by_test_id("action-dialog")).not_to_be_visible()
    finally:
        phone.close()

    # ---- carol sees it approved ----------------------------------------------------------------
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, live_server, "carol@example.com")
        page.goto(f"{live_server}/orgs/{org}/approvals?tab=initiated")
        item = page.locator(f'[data-testid=inbox-item]:has(a[href$="{instance_id}"])')
        expect(item.get_by_test_id("status-badge")).to_have_attribute("data-status", "approved")
        item.locator(".inbox-link").click()
        expect(page.get_by_test_id("status-badge")).to_have_text("Approved")
        expect(page.get_by_test_id("timeline")).to_contain_text("Dan Zhao")
    finally:
        phone.close()

    assert errors == [], errors
