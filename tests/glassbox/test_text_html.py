"""glassbox.render.text_html: token spans coloured by value, checked as HTML and in Chromium."""

import html
import os
import re
import tempfile
from types import SimpleNamespace

import numpy as np
import pytest

from glassbox.render.text_html import text_explanation_ansi, text_explanation_html, token_colour

CHROMIUM = "/usr/bin/chromium"
TEXT = 'Great <film> & "bad" acting!\nThe end.'


def _expl():
    """An explanation of one text built by hand (render reads attributes only)."""
    tokens = ("Great", "<", "film", ">", "&", '"', "bad", '"', "acting", "!", "The", "end", ".")
    vals = np.array([2.0, 0, 0.5, 0, 0, 0, -1.0, 0, -0.25, 0, 0, 0.1, 0])
    values = np.column_stack([-vals, vals])
    return SimpleNamespace(
        texts=(TEXT,),
        tokens=(tokens,),
        values=(values,),
        base_values=np.array([[0.4, 0.6]]),
        output=np.array([[-0.95, 1.95]]),
        method=("shapley",),
        output_names=("neg", "pos"),
    )


def _spans(page_html):
    return re.findall(
        r"<span class='tok' style='background:(#[0-9a-f]{6})' title='([^']*)'>", page_html
    )


def test_colour_scale():
    assert token_colour(0.0, 2.0) == (255, 255, 255)
    assert token_colour(2.0, 2.0) == (255, 13, 87)  # full red at +vmax
    assert token_colour(-5.0, 2.0) == (30, 136, 229)  # clipped to full blue
    r, g, b = token_colour(1.0, 2.0)  # halfway to red
    assert (r, g, b) == (255, round(255 - 0.5 * 242), round(255 - 0.5 * 168))
    assert token_colour(1.0, 0.0) == (255, 255, 255)


def test_html_spans_values_and_text():
    e = _expl()
    page = text_explanation_html(e)
    spans = _spans(page)
    assert len(spans) == 13  # every token, in order
    colours = [c for c, _ in spans]
    titles = [html.unescape(t) for _, t in spans]
    half_blue = "#" + "".join(f"{round(255 + 0.5 * (c - 255)):02x}" for c in (30, 136, 229))
    assert colours[0] == "#ff0d57" and colours[6] == half_blue  # +2 (vmax) and -1
    assert titles[0] == "Great: +2" and titles[6] == "bad: -1" and titles[1] == "<: +0"
    # output 0 is the mirror image
    assert _spans(text_explanation_html(e, output="neg"))[0][0] == "#1e88e5"
    # the text itself comes back once tags are stripped and entities decoded
    body = re.search(r"<div class='body'>(.*?)</div>", page, re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == TEXT
    assert "<film>" not in page and "&lt;film&gt;" not in page  # tokens escaped one by one
    assert "base 0.6 -&gt; output 1.95" in page
    with pytest.raises(ValueError, match="output"):
        text_explanation_html(e, output=2)


def test_ansi_colours_only_when_asked():
    e = _expl()
    plain = text_explanation_ansi(e, color=False)
    assert "\x1b" not in plain
    assert "Great[+2] <film[+0.5]> &" in plain and "acting[-0.25]!" in plain
    col = text_explanation_ansi(e, color=True)
    assert "\x1b[48;2;255;13;87m\x1b[38;2;0;0;0mGreat\x1b[0m" in col
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", col).splitlines()
    assert "\n".join(s[2:] for s in stripped[1:3]) == TEXT


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent")
def test_rendered_in_headless_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "text.html"
    path.write_text(text_explanation_html(_expl(), full_page=True), encoding="utf-8")
    profile = tempfile.mkdtemp(prefix="glassbox-chromium-")
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            headless=True,
            viewport={"width": 800, "height": 300},
        )
        try:
            page = browser.new_page()
            page.goto(path.as_uri(), wait_until="load")
            assert page.locator(".gb-textexp .body").inner_text() == TEXT
            tok = page.locator("span.tok").first
            assert tok.inner_text() == "Great" and tok.get_attribute("title") == "Great: +2"
            bg = tok.evaluate("e => getComputedStyle(e).backgroundColor")
            assert bg == "rgb(255, 13, 87)"
            page.screenshot(path=str(tmp_path / "text.png"))
            assert (tmp_path / "text.png").stat().st_size > 1000
        finally:
            browser.close()
