"""Chapter 13's trade-off figure: one labelled point per model in each panel, at its numbers; bad rows refused."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.viz.deploy_plots import tradeoff_figure

ROWS = {
    "original": (0.97, 24_360, 7.1, 0.3),
    "int8": (0.965, 6_728, 7.0, 0.3),
    "student": (0.95, 4_840, 0.07, 0.04),
}


def test_each_model_is_a_labelled_point_in_both_panels():
    fig = tradeoff_figure(ROWS)
    left, right = fig.axes
    for ax, column in ((left, 1), (right, 2)):
        points = ax.collections[0].get_offsets()
        np.testing.assert_allclose(points, [(row[column], row[0]) for row in ROWS.values()])
        assert [t.get_text() for t in ax.texts] == list(ROWS)
        assert ax.get_xscale() == "log"
    assert left.get_ylabel() == "test accuracy"


@pytest.mark.parametrize(
    "rows, match",
    [
        ({}, "non-empty"),
        ({"a": (0.9, 100)}, "expected \\(accuracy, bytes, latency"),
        ({"a": (1.5, 100, 1.0)}, "accuracy"),
        ({"a": (0.9, 0, 1.0)}, "positive size"),
        ({"a": (0.9, 10, np.nan)}, "positive size and latency"),
    ],
)
def test_bad_rows_are_refused(rows, match):
    with pytest.raises(ValueError, match=match):
        tradeoff_figure(rows)
