"""The viewer page's phone check against the server's (issue 14): the shared table of cases,
run in Chromium on the real page's module, and one application typed the way chat apps paste."""

from __future__ import annotations

import itertools
import json
import unicodedata
from pathlib import Path

import phonenumbers
import pytest

from liveevent.domain.phones import normalize_phone
from liveevent.errors import InvalidInput
from tests.browser.conftest import CHROMIUM, HAVE_CHROMIUM, Pages
from tests.browser.test_pages import fill_and_apply, open_viewer
from tests.support import LiveServer

pytest.importorskip("playwright.async_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_CHROMIUM, reason=f"{CHROMIUM} is missing"),
]

TABLE = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "phones.json").read_text(encoding="utf-8")
)

# Every case through the page's own module, as the viewer page loaded it: what checkPhone
# returns (null: the page refuses), and whether the phone field would cut the text short.
RUN_TABLE = """async (inputs) => {
  const { checkPhone } = await import("/static/js/phone.js");
  const field = document.querySelector("#f-phone");
  return inputs.map((input) => ({
    sent: checkPhone(input), fits: input.length <= field.maxLength,
  }));
}"""


def server_reads(text: str) -> str | None:
    try:
        return normalize_phone(text)
    except InvalidInput:
        return None


async def test_the_page_accepts_everything_the_server_accepts(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    page = await open_viewer(pages, server, event, "viewer")
    accepted = TABLE["accepted"]
    results = await page.evaluate(RUN_TABLE, [case["input"] for case in accepted])
    for case, result in zip(accepted, results, strict=True):
        assert result["fits"], case["kind"]
        assert result["sent"] is not None, f"the page refuses {case['kind']}"
        # What the page sends is read by the server as the same number.
        assert server_reads(result["sent"]) == case["stored"], case["kind"]
    refused = [case for case in TABLE["refused"] if isinstance(case["input"], str)]
    results = await page.evaluate(RUN_TABLE, [case["input"] for case in refused])
    for case, result in zip(refused, results, strict=True):
        page_says = "refuses" if result["sent"] is None else "accepts"
        assert page_says == case["page"], case["kind"]
        if result["sent"] is not None:  # the server refuses what the page sent, as the original
            assert server_reads(result["sent"]) is None, case["kind"]
    assert pages.errors() == []


async def test_a_number_pasted_from_a_chat_app_is_applied_with(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    await server.push(event, "j1")
    viewer = await open_viewer(pages, server, event, "viewer")
    await viewer.wait_for_selector('#card-slot .card[data-job-id="j1"]')
    await viewer.click("#card-slot .apply-btn")
    await viewer.wait_for_selector("#sheet:not([hidden])")
    await fill_and_apply(viewer, "李卫国", "tel:\u2068＋86 138－2222－3333\u2069")
    await viewer.wait_for_selector("#sheet-result:not([hidden])", timeout=5000)
    assert "报名成功" in await viewer.inner_text("#result-title")
    assert "138****3333" in await viewer.inner_text("#result-note")
    status, body = await server.call(
        "GET", f"/api/events/{event.id}/applications", token=event.staff_token
    )
    assert status == 200
    assert [row["phone"] for row in body["applications"]] == ["13822223333"]
    assert pages.errors() == []


def decorated(stored: str) -> list[str]:
    """``stored`` written in many ways people write numbers: with and without a country prefix,
    grouped as phonenumbers groups it, with separators, full-width, wrapped in what chat apps,
    web pages and links add."""
    number = phonenumbers.parse(stored if stored.startswith("+") else "+86" + stored)
    grouped = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    cc, national = grouped.split(" ", 1)
    prefixes = [f"{cc} ", f"({cc}) ", f"00{cc[1:]} ", f"{cc}-", f"{cc} (0)"]
    if cc == "+86":
        prefixes += ["", "86 ", "0"]
    texts = []
    for prefix, sep, wrap in itertools.product(
        prefixes,
        [" ", "-", "", ".", "\u00a0", "\u3000", "\u200b", "\u2014", "/"],
        [("", ""), ("\u2068", "\u2069"), ("tel:", ""), ("\ufeff", "\n"), ("\u202a", "\u202c")],
    ):
        text = wrap[0] + prefix + national.replace(" ", sep) + wrap[1]
        texts += [text, text.translate(FULL_WIDTH)]
    return texts


FULL_WIDTH = {code: code + 0xFEE0 for code in range(ord("!"), ord("~") + 1)}


async def test_the_page_accepts_every_decorated_number_the_server_accepts(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    page = await open_viewer(pages, server, event, "viewer")
    stored = sorted({case["stored"] for case in TABLE["accepted"]})
    texts = [text for number in stored for text in decorated(number)]
    accepted = [text for text in texts if server_reads(text) is not None]
    assert len(accepted) > 1000  # most decorations are forms the server accepts
    results = await page.evaluate(RUN_TABLE, accepted)
    wrong = [
        text
        for text, result in zip(accepted, results, strict=True)
        if result["sent"] is None or server_reads(result["sent"]) != server_reads(text)
    ]
    assert wrong == []


async def test_the_page_reads_every_decimal_digit_as_the_server_does(
    server: LiveServer, pages: Pages
) -> None:
    event = await server.create_event()
    page = await open_viewer(pages, server, event, "viewer")
    digits = [
        chr(code) for code in range(0x110000) if unicodedata.decimal(chr(code), None) is not None
    ]
    folded = await page.evaluate(
        """async (digits) => {
          const { foldPhoneText } = await import("/static/js/phone.js");
          return digits.map(foldPhoneText);
        }""",
        digits,
    )
    wrong = [
        f"U+{ord(char):04X}"
        for char, text in zip(digits, folded, strict=True)
        if text != str(unicodedata.decimal(char))
    ]
    assert len(digits) > 600 and wrong == []
