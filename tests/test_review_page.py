"""The review page: self-contained, escaped, one highlight per item; and in a real browser
(headless Chromium from Debian, driven by Playwright) it loads cleanly, jumps from a table row
to its span, shows what an item is on hover, and never runs a document's script."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.emit.html import review_page
from kttt_extract.model import Notice
from tests.conftest import SAMPLES
from tests.result_factory import PLAN_TEXT, item_count, make_result

HOSTILE = ('<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
           '"quoted" & </textarea></script>')


def test_page_is_self_contained_and_counts_one_highlight_per_item() -> None:
    result = make_result(warnings=(Notice(code="ocr", message="check tone marks"),))
    page = review_page(result).decode("utf-8")
    assert len(re.findall(r'data-item="', page)) == item_count(result)
    assert not re.search(r"<(link|iframe|object|embed)\b|\ssrc=", page)
    assert "http://" not in page and "https://" not in page
    assert page.index('class="warnings"') < page.index('id="doc"')


def test_only_the_pages_own_script_may_run() -> None:
    page = review_page(make_result(text=PLAN_TEXT + HOSTILE)).decode("utf-8")
    scripts = re.findall(r"<script>(.*?)</script>\n</body>", page, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "window.pwned" in page and "<script>window.pwned" not in page
    data = page.split('id="kttt-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data


# --------------------------------------------------------------------------- in a browser


def _chromium() -> str | None:
    for name in (os.environ.get("KTTT_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright (test extra) drives the browser")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable,
                                      args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


class Opened:
    """A page loaded in the browser, with the console errors it produced."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1300, "height": 800})
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())

    def count(self, selector: str) -> int:
        return int(self.page.eval_on_selector_all(selector, "els => els.length"))

    def in_view(self, element_id: str) -> bool:
        return bool(self.page.evaluate(
            """id => { const el = document.getElementById(id);
                       const box = document.getElementById('doc').getBoundingClientRect();
                       const r = el.getBoundingClientRect();
                       return r.top >= box.top && r.top < box.bottom; }""", element_id))


def _open(browser: Any, tmp_path: Path, data: bytes) -> Opened:
    path = tmp_path / "review.html"
    path.write_bytes(data)
    return Opened(browser, path)


@pytest.fixture(scope="module")
def sample_result() -> Any:
    from kttt_extract import extract

    return extract(SAMPLES / "vinh-linh-cv-20nq.txt")


def test_page_loads_cleanly_with_one_highlight_per_item(browser: Any, tmp_path: Path,
                                                        sample_result: Any) -> None:
    opened = _open(browser, tmp_path, review_page(sample_result))
    assert opened.count("[data-item]") == item_count(sample_result)
    assert opened.count(".hl-task[data-item]") == len(sample_result.tasks)
    assert opened.count("#panel-tasks tbody tr") == len(sample_result.tasks)
    assert opened.errors == []


def test_clicking_a_task_row_scrolls_its_span_into_view(browser: Any, tmp_path: Path,
                                                        sample_result: Any) -> None:
    opened = _open(browser, tmp_path, review_page(sample_result))
    last = sample_result.tasks[-1].id
    assert not opened.in_view(f"m-{last}")
    opened.page.click(f'#panel-tasks tr[data-goto="m-{last}"] td:nth-child(2)')
    opened.page.wait_for_function(
        """id => { const el = document.getElementById(id);
                   const box = document.getElementById('doc').getBoundingClientRect();
                   const r = el.getBoundingClientRect();
                   return r.top >= box.top && r.top < box.bottom; }""", arg=f"m-{last}")
    assert opened.in_view(f"m-{last}")
    assert "Task:" in opened.page.inner_text("#pop")
    assert opened.errors == []


def test_hovering_a_highlight_shows_its_values_rule_and_page(browser: Any,
                                                             tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, review_page(make_result()))
    opened.page.hover("#m-d1")
    shown = opened.page.inner_text("#pop")
    assert "Deadline: 2025-12-15" in shown and "deadline.by-date" in shown
    assert re.search(r"page\s+1", shown)
    opened.page.hover("#m-a1-1")
    shown = opened.page.inner_text("#pop")
    assert "report_to" in shown and re.search(r"page\s+2", shown)
    assert opened.errors == []


def test_tables_sort_and_filter(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, review_page(make_result()))
    opened.page.click('button[data-tab="agencies"]')
    opened.page.click("#panel-agencies th:nth-child(1)")
    opened.page.click("#panel-agencies th:nth-child(1)")  # descending
    names = opened.page.eval_on_selector_all("#panel-agencies tbody tr td:first-child",
                                             "els => els.map(e => e.textContent)")
    assert names == ["Ủy ban nhân dân cấp huyện", "Sở Tài chính",
                     "Sở Nông nghiệp và Phát triển nông thôn"]
    opened.page.fill("#panel-agencies input.filter", "uy ban")  # tone marks ignored
    visible = opened.page.eval_on_selector_all("#panel-agencies tbody tr:not([hidden])",
                                               "els => els.length")
    assert visible == 1 and opened.page.inner_text("#panel-agencies .count") == "1 / 3"
    assert opened.errors == []


def test_a_document_holding_script_shows_it_as_text(browser: Any, tmp_path: Path) -> None:
    result = make_result(text=PLAN_TEXT + HOSTILE, warnings=(Notice(code="x", message=HOSTILE),))
    opened = _open(browser, tmp_path, review_page(result))
    assert opened.page.evaluate("typeof window.pwned") == "undefined"
    assert "<script>window.pwned = 1</script>" in opened.page.inner_text("#doc")
    assert "<img src=x" in opened.page.inner_text(".warnings")
    assert opened.count("#doc script, #doc img, .warnings img") == 0
    assert [e for e in opened.errors if "Content Security Policy" not in e] == []
