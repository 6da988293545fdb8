"""The service's drawing page in a real browser (Debian's Chromium, headless, driven by playwright; see
tests/browser_support.py): strokes drawn with the mouse, Predict clicked, and the prediction shown equal to the API's
answer for the very pixels the page sent, and to the model's own; nothing is loaded from anywhere else."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
from browser_support import guard, needs_chromium, picture_stats

import dlcourse.functional as F
from dlcourse.tools.serve import create_app, run_in_background, train_digits_model

pytestmark = needs_chromium

#: strokes in the 256×256 drawing box, as (x, y) points: a seven, and a one
SEVEN = [[(60, 50), (200, 50), (120, 220)]]
ONE = [[(100, 80), (130, 45), (130, 215)], [(95, 215), (165, 215)]]


@pytest.fixture(scope="module")
def model():
    return train_digits_model()[0]


@pytest.fixture(scope="module")
def server(model):
    url, stop = run_in_background(create_app(model, model_version="page-test"))
    yield url
    stop()


@pytest.fixture
def page(browser, server):
    page = browser.new_page()
    traffic = guard(page, server)
    page.goto(server + "/")
    page.locator("#version", has_text="page-test").wait_for()  # selectors, not JavaScript: the page's CSP has no eval
    yield page, traffic
    page.close()
    assert traffic.refused == [] and traffic.failed == []


def draw(page, strokes) -> None:
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for (xa, ya), (xb, yb) in zip(stroke, stroke[1:]):
            for t in np.linspace(0, 1, 8)[1:]:
                page.mouse.move(box["x"] + xa + t * (xb - xa), box["y"] + ya + t * (yb - ya))
        page.mouse.up()


def predict_on_page(page, count: int) -> tuple[list, dict]:
    """Click Predict; return the pixels the page sent and what it shows (label and the exact probabilities)."""
    with page.expect_request(lambda r: r.url.endswith("/predict") and r.method == "POST") as info:
        page.click("#predict")
    page.wait_for_selector(f"body[data-predictions='{count}']", state="attached")
    sent = json.loads(info.value.post_data)["pixels"]
    shown = page.evaluate(
        """() => ({
            label: document.getElementById('label').dataset.label,
            name: document.getElementById('label').textContent,
            probabilities: [...document.querySelectorAll('#probs tr')].map(tr => Number(tr.dataset.p)),
            top: document.querySelector('#probs tr.top td').textContent,
        })"""
    )
    return sent, shown


def api_predict(url: str, pixels: list) -> dict:
    body = json.dumps({"pixels": pixels}).encode()
    req = urllib.request.Request(url + "/predict", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(("strokes", "name", "digit"), [(SEVEN, "seven", 7), (ONE, "one", 1)])
def test_a_drawn_digit_is_predicted_as_the_api_and_the_model_predict_it(
    page, server, model, strokes, name, digit, tmp_path
):
    page, _ = page
    draw(page, strokes)
    sent, shown = predict_on_page(page, 1)
    x = np.asarray(sent, dtype=np.float64)
    assert x.shape == (8, 8) and x.min() >= 0 and x.max() <= 1 and x.max() > 0.5 and (x == 0).sum() > 10
    api = api_predict(server, sent)
    assert int(shown["label"]) == api["label"] and shown["name"] == api["class_name"] == shown["top"]
    assert shown["probabilities"] == api["probabilities"]  # the exact float64 numbers, through JSON both ways
    logits = model(x.reshape(1, 64))
    assert api["label"] == int(logits.argmax()) == digit  # fixed strokes, a seeded model: the digit drawn
    np.testing.assert_array_equal(api["probabilities"], F.softmax(logits, dim=1)[0])
    shot = page.screenshot(path=str(tmp_path / f"{name}.png"))
    assert picture_stats(shot)["colours"] > 20  # a drawing, a preview and bars, not a blank page


def test_the_preview_shows_what_is_sent_and_clear_empties_it(page, server):
    page, _ = page
    draw(page, SEVEN)
    sent, _ = predict_on_page(page, 1)
    shades = page.evaluate(
        "() => [...document.querySelectorAll('#preview div')].map(d => getComputedStyle(d).backgroundColor)"
    )
    grey = np.array([int(s[s.index("(") + 1 :].split(",")[0]) for s in shades]).reshape(8, 8)
    np.testing.assert_array_equal(grey, np.round(255 * (1 - np.asarray(sent))))
    page.click("#clear")
    assert page.locator("#label").text_content() == "–" and page.locator("#probs tr").count() == 0
    sent, shown = predict_on_page(page, 2)
    assert np.asarray(sent).max() == 0  # an empty drawing is all background, and still gets an answer
    assert shown["probabilities"] == api_predict(server, sent)["probabilities"]


def test_an_error_from_the_service_is_shown(browser, model):
    """A service whose batch limit is irrelevant but whose body limit is tiny: the page shows the 413's message."""
    url, stop = run_in_background(create_app(model, model_version="tiny", max_body_bytes=100))
    try:
        page = browser.new_page()
        traffic = guard(page, url)
        page.goto(url + "/")
        page.click("#predict")
        page.wait_for_selector("#status.error")
        text = page.locator("#status").text_content()
        assert text.startswith("error: body: expected at most 100 bytes, got ") and text.endswith(" bytes"), text
        page.close()
    finally:
        stop()
    assert traffic.refused == [] and traffic.failed == []
