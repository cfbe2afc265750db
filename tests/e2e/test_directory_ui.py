"""The directory in a real browser: sign in, add a department, add a member into it.

Runs at desktop and phone widths against `tack serve` loaded with the demo data, and saves
the desktop screenshot that the README shows (docs/screenshot.png).
"""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest

from .conftest import REPO, skip_reason

_reason = skip_reason()
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_reason is not None, reason=_reason or "")]

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
SCREENSHOT = REPO / "docs" / "screenshot.png"


def _attr(value: str) -> str:
    """Quotes a value for a CSS attribute selector."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_web_app_is_served_with_browser_types(live_server: str) -> None:
    """index.html for app routes and assets with their real types (a browser refuses a module
    script served as application/octet-stream, and downloads an "attachment" page)."""
    with urllib.request.urlopen(live_server + "/orgs/x/directory") as r:
        html = r.read().decode()
        assert r.headers.get_content_type() == "text/html", dict(r.headers)
        assert not (r.headers.get("Content-Disposition") or "").startswith("attachment"), dict(r.headers)
    script = re.search(r'src="(/assets/[^"]+\.js)"', html)
    assert script, html
    with urllib.request.urlopen(live_server + script.group(1)) as r:
        assert r.headers.get_content_type() in ("text/javascript", "application/javascript"), dict(r.headers)
        assert not (r.headers.get("Content-Disposition") or "").startswith("attachment"), dict(r.headers)


def test_language_switch(live_server: str, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server + "/sign-in")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Tack")
        page.get_by_test_id("lang-switcher").select_option("zh-CN")
        expect(page.get_by_role("heading", level=1)).to_have_text("登录 Tack")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        page.reload()  # the choice is remembered
        expect(page.get_by_test_id("sign-in-submit")).to_have_text("登录")
    finally:
        context.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_add_department_and_member(live_server: str, browser, size: str) -> None:
    from playwright.sync_api import expect

    viewport = VIEWPORTS[size]
    context = browser.new_context(
        viewport=viewport,
        is_mobile=size == "phone",
        has_touch=size == "phone",
        locale="en-US",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # Signed out: any page leads to sign-in.
        page.goto(live_server + "/")
        expect(page).to_have_url(re.compile(r"/sign-in"))

        # A wrong password shows the server's problem title, not a crash.
        page.get_by_test_id("sign-in-email").fill("alice@example.com")
        page.get_by_test_id("sign-in-password").fill("not-the-password")
        page.get_by_test_id("sign-in-submit").click()
        expect(page.get_by_test_id("error-banner")).to_be_visible()

        page.get_by_test_id("sign-in-password").fill("demo-password")
        page.get_by_test_id("sign-in-submit").click()
        expect(page).to_have_url(re.compile(r"/orgs/[^/]+/directory"))

        # The root department is the organization itself.
        tree = page.get_by_test_id("dept-tree")
        root = tree.locator('[data-testid="dept-Demo Co."]')
        expect(root).to_be_visible()
        root.click()
        expect(page.get_by_test_id("selected-department")).to_have_text("Demo Co.")
        expect(page.get_by_test_id("member-row").first).to_be_visible()

        if size == "desktop":
            # The README's picture: the demo organization with one branch open.
            engineering = tree.locator('[data-testid="toggle-Engineering"]')
            if engineering.count():
                engineering.click()
            page.mouse.move(0, 0)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))

        # Add a department under the root.
        suffix = uuid.uuid4().hex[:6]
        dept_name = f"QA {size} {suffix}"
        page.get_by_test_id("add-department").click()
        dialog = page.get_by_test_id("add-department-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_test_id("department-name").fill(dept_name)
        dialog.get_by_test_id("department-save").click()
        expect(dialog).to_be_hidden()

        node = tree.locator(f"[data-testid={_attr('dept-' + dept_name)}]")
        expect(node).to_be_visible()
        node.click()
        expect(page.get_by_test_id("selected-department")).to_have_text(dept_name)
        expect(page.get_by_test_id("member-row")).to_have_count(0)

        # Add a member into it: the selected department is preselected.
        member_name = f"Quinn {suffix}"
        member_email = f"quinn.{size}.{suffix}@example.com"
        page.get_by_test_id("add-member").click()
        form = page.get_by_test_id("member-dialog")
        expect(form).to_be_visible()
        form.get_by_test_id("member-name").fill(member_name)
        form.get_by_test_id("member-email").fill(member_email)
        form.get_by_test_id("member-job-title").fill("QA engineer")
        expect(form.locator(f"[data-testid={_attr('pick-dept-' + dept_name)}]")).to_be_checked()
        form.get_by_test_id("member-save").click()
        expect(form).to_be_hidden()

        row = page.locator(f'[data-testid="member-row"][data-member-email={_attr(member_email)}]')
        expect(row).to_be_visible()
        expect(row).to_contain_text(member_name)
        expect(node).to_contain_text("1")

        # It is really stored: after a reload the department is still selected and lists them.
        page.reload()
        expect(page.get_by_test_id("selected-department")).to_have_text(dept_name)
        expect(page.locator(f'[data-testid="member-row"][data-member-email={_attr(member_email)}]')).to_be_visible()

        # The member's profile opens from the list.
        page.locator(f'[data-testid="member-row"][data-member-email={_attr(member_email)}]').click()
        drawer = page.get_by_test_id("member-drawer")
        expect(drawer).to_contain_text(member_email)
        expect(drawer).to_contain_text("QA engineer")
        page.keyboard.press("Escape")
        expect(drawer).to_be_hidden()

        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()
