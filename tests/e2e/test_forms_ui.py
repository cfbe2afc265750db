"""Building a form the way a new user would, filling it in on a phone, and finding the record.

Desktop: create an app, drag field types from the palette onto the canvas, reorder by
dragging, name the fields, write a formula (first with a typo the server points at), publish.
Phone (390 × 844): open the fill-in page, see the required field refused inline, fill it in,
watch the formula compute, submit; then find the record in the app's records and open it.
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


def _sign_in(page, base: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_test_id("sign-in-email").fill("alice@example.com")
    page.get_by_test_id("sign-in-password").fill("demo-password")
    page.get_by_test_id("sign-in-submit").click()
    page.wait_for_url(re.compile(r"/orgs/[^/]+/directory"))


def _drop_at_end(page, field_type: str) -> None:
    """Drags a palette item to the empty end of the canvas (below the last field)."""
    canvas = page.get_by_test_id("canvas")
    box = canvas.bounding_box()
    assert box is not None
    page.get_by_test_id(f"palette-{field_type}").drag_to(canvas, target_position={"x": box["width"] / 2,
                                                                                   "y": box["height"] - 3})


def _rename_selected(page, name: str) -> None:
    from playwright.sync_api import expect

    props = page.get_by_test_id("field-props")
    box = props.get_by_test_id("prop-name")
    box.fill(name)
    box.press("Tab")  # commits the rename (formulas that use the old name follow it)
    # The properties panel redraws after the rename: wait for it, or the next edit can land in
    # the panel that is about to go (seen on a loaded machine).
    expect(page.get_by_test_id(f"canvas-field-{name}")).to_be_visible()
    expect(box).to_have_value(name)


def test_build_form_fill_on_phone_find_record(live_server: str, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    suffix = uuid.uuid4().hex[:6]
    app_name = f"Front desk {suffix}"
    visitor = f"Dana Visitor {suffix}"
    errors: list[str] = []

    desk = browser.new_context(viewport=DESKTOP, locale="en-US")
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _sign_in(page, live_server)
        org = re.search(r"/orgs/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]

        # A new app, from the app list.
        page.get_by_test_id("nav-apps").click()
        page.get_by_test_id("new-app").click()
        dialog = page.get_by_test_id("app-dialog")
        dialog.get_by_test_id("app-name").fill(app_name)
        dialog.get_by_test_id("app-save").click()
        expect(page.get_by_test_id("app-title")).to_have_text(app_name)

        # A new form: fields dragged from the palette.
        page.get_by_test_id("new-form").click()
        page.get_by_test_id("form-name").fill("Visit log")
        _drop_at_end(page, "number")
        expect(page.get_by_test_id("canvas-field-Number")).to_be_visible()
        _rename_selected(page, "Guests")
        _drop_at_end(page, "select")
        _rename_selected(page, "Purpose")
        option = page.get_by_test_id("field-props").get_by_test_id("option-1")
        option.fill("Meeting")
        option.press("Tab")
        expect(option).to_have_value("Meeting")
        _drop_at_end(page, "formula")
        _rename_selected(page, "Badges")
        # The visitor's name goes first: dropped onto the top half of the first field.
        first = page.get_by_test_id("canvas-field-Guests")
        page.get_by_test_id("palette-text").drag_to(first, target_position={"x": 40, "y": 4})
        _rename_selected(page, "Visitor")
        page.get_by_test_id("field-props").get_by_test_id("prop-required").check()
        names = page.locator('[data-testid^="canvas-field-"]')
        expect(names).to_have_count(4)
        expect(names.first).to_have_attribute("data-testid", "canvas-field-Visitor")

        # Reorder by dragging: Purpose above Guests.
        guests = page.get_by_test_id("canvas-field-Guests")
        page.get_by_test_id("canvas-field-Purpose").drag_to(guests, target_position={"x": 60, "y": 4})
        expect(names.nth(1)).to_have_attribute("data-testid", "canvas-field-Purpose")

        # A formula with a typo: the server's check points at it, under the formula.
        page.get_by_test_id("canvas-field-Badges").click()
        expression = page.get_by_test_id("prop-expression")
        expression.fill("Gests * 2")
        problem = page.get_by_test_id("prop-expression-problem")
        expect(problem).to_contain_text("Unknown field [Gests]")
        expect(problem).to_contain_text("Line 1, column 1")
        expect(problem.locator("mark")).to_have_text("Gests")
        expect(page.get_by_test_id("canvas-field-Badges").get_by_test_id("error-badge")).to_be_visible()
        expression.fill("Guests * 2")
        expect(problem).to_be_hidden()
        expect(page.get_by_test_id("field-props")).to_contain_text("Result: number")

        # The live preview, in a phone frame.
        page.get_by_test_id("mode-preview").click()
        page.get_by_test_id("device-phone").click()
        frame = page.get_by_test_id("preview-frame")
        expect(frame.get_by_test_id("field-Visitor")).to_be_visible()
        page.get_by_test_id("mode-design").click()
        page.get_by_test_id("canvas-field-Visitor").click()
        page.screenshot(path=str(tmp_path / "designer.png"))

        page.get_by_test_id("publish").click()
        expect(page.get_by_test_id("publish-notice")).to_contain_text("Version 1 is published")
        form_id = re.search(r"/forms/([^/]+)/design", page.url).group(1)  # type: ignore[union-attr]
        state = desk.storage_state()
    finally:
        desk.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US",
                                storage_state=state)
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live_server}/orgs/{org}/forms/{form_id}/fill")
        expect(page.get_by_test_id("fill-title")).to_have_text("Visit log")
        # Submitting without the required name: refused inline, nothing sent.
        page.get_by_test_id("submit-record").click()
        expect(page.get_by_test_id("error-Visitor")).to_have_text("This field is required.")

        page.get_by_test_id("input-Visitor").fill(visitor)
        expect(page.get_by_test_id("error-Visitor")).to_be_hidden()
        expect(page.get_by_test_id("input-Purpose")).to_contain_text("Meeting")
        page.get_by_test_id("input-Purpose").get_by_text("Meeting").click()
        page.get_by_test_id("input-Guests").fill("3")
        expect(page.get_by_test_id("input-Badges")).to_have_text("6")  # computed by the server as you type
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the fill-in page scrolls sideways at {PHONE['width']} px ({width})"
        page.screenshot(path=str(tmp_path / "fill-phone.png"), full_page=True)
        page.get_by_test_id("submit-record").click()
        expect(page.get_by_test_id("submit-success")).to_be_visible()

        # The record is in the app's records, and opens.
        page.get_by_test_id("view-record").click()
        expect(page.get_by_test_id("value-Visitor")).to_contain_text(visitor)
        expect(page.get_by_test_id("value-Badges")).to_contain_text("6")
        page.goto(f"{live_server}/orgs/{org}/apps")
        page.get_by_test_id(f"app-{app_name}").click()
        row = page.get_by_test_id("records-list").get_by_test_id("record-row").filter(has_text=visitor)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Meeting")
        row.click()
        expect(page.get_by_test_id("value-Purpose")).to_contain_text("Meeting")
        page.get_by_test_id("tab-history").click()
        expect(page.get_by_test_id("revision")).to_have_count(1)
    finally:
        phone.close()
    assert not errors, errors
