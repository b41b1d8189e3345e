"""The two-step sign-in QR code scans on a phone: whole, quiet zone and all.

Every new administrator meets this screen first. The test photographs the code as the
page shows it on two phone widths and reads it back with a QR decoder.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, expect

from app.domain.identity.mfa import provisioning_uri
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [412, 390])
async def test_the_enrolment_qr_code_decodes_to_the_key_shown(
    browser: Browser, live_server: str, tmp_path: Path, width: int
) -> None:
    email = f"qr-{uuid.uuid4().hex[:8]}@example.com"
    phone = {**PHONE, "viewport": {"width": width, "height": 900}}
    context = await browser.new_context(base_url=live_server, **phone)
    try:
        page = await context.new_page()
        await page.goto("/signup")
        await page.get_by_label("Name of the care account").fill("QR Family")
        await page.get_by_label("Your name").fill("Quinn Admin")
        await page.get_by_label("Email address").fill(email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Create the care account").click()
        await expect(page).to_have_url(re.compile(r"/account/mfa$"))

        code = page.locator(".qr svg")
        await code.scroll_into_view_if_needed()
        box = await code.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the code is off-screen"
        shot = tmp_path / f"qr-{width}.png"
        await code.screenshot(path=str(shot))
        typed_key = (await page.locator("code.secret").inner_text()).replace(" ", "")
    finally:
        await context.close()

    found = zxingcpp.read_barcodes(Image.open(shot))
    assert [result.format for result in found] == [zxingcpp.BarcodeFormat.QRCode]
    uri = found[0].text
    assert uri == provisioning_uri(typed_key, email)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert unquote(parts.path).endswith(email)
    assert parse_qs(parts.query)["secret"] == [typed_key]
