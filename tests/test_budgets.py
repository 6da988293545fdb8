"""Interactive budgets: a widget must answer a moved control quickly enough to play with.

Time is measured as the CPU time of this process (``time.process_time``, all its threads), not wall-clock time: on a
busy machine the wall-clock time of the same work grows with the load (seen: 1.95 s of wall-clock time for 0.97 s of
CPU time), the CPU time much less. The budget is about twice the CPU time measured on the 2-core CI machine.
The notebooks' own budgets (60 s each, 5 min for chapters 00-14 and 6 min for all, 1 GB per kernel) are in
tests/test_notebooks.py.
"""

from __future__ import annotations

import time

import matplotlib
import pytest

matplotlib.use("Agg")

from dlcourse.viz.explorer import ActivationsExplorer  # noqa: E402

#: CPU seconds one redraw of a widget may take
WIDGET_UPDATE_CPU_SECONDS = 2.0


@pytest.mark.parametrize("activation, depth, steps", [("tanh", 10, 200), ("relu", 10, 200), ("sigmoid", 2, 200)])
def test_activations_explorer_update_within_budget(activation, depth, steps):
    """The explorer's largest settings (depth 10, 200 training steps) retrain and redraw within the budget."""
    ex = ActivationsExplorer(steps=10, activation="sigmoid" if activation != "sigmoid" else "tanh")
    ex.controls["steps"].value = steps
    ex.controls["depth"].value = depth
    start = time.process_time()
    ex.controls["activation"].value = activation
    seconds = time.process_time() - start
    assert len(ex.result.loss) == steps
    assert seconds < WIDGET_UPDATE_CPU_SECONDS, f"an update took {seconds:.2f} CPU seconds"
