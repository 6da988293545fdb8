"""Chapter 01: the network playground: train a small MLP on a 2-D data set and watch what it learns.

In the spirit of TensorFlow Playground (Smilkov & Carter, 2016): choose the data, the noise, the depth and width of
the network, its activation, the learning rate and the number of epochs; see the decision boundary, the loss curve
and every hidden unit's response over the plane. All the numbers come from dlcourse (``nn.MLP``, ``train.fit``);
this module only draws them.

    from dlcourse.viz.playground import NetworkPlayground
    NetworkPlayground()                     # last in a cell: the live widget, or its PNG in an export

Headless: ``pg = NetworkPlayground(); pg.controls['dataset'].value = 'spirals'; pg.result.test_accuracy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import nn, train
from .._validate import check_choice, check_int
from ..data import make_dataset
from ..metrics import accuracy_score
from .boundary import (
    Grid,
    draw_activation_maps,
    draw_decision_boundary,
    hidden_activation_maps,
    make_grid,
    model_probabilities,
)
from .core import InteractiveFigure, merge_settings

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DATASET_NAMES = ("xor", "circles", "moons", "spirals", "blobs")
ACTIVATION_NAMES = ("tanh", "relu", "sigmoid", "leaky_relu")
#: hidden units drawn per layer (wider layers show their first MAX_UNITS_SHOWN units)
MAX_UNITS_SHOWN = 8
N_SAMPLES, N_TRAIN, BATCH_SIZE, GRID_RESOLUTION = 300, 200, 50, 60

DEFAULTS = dict(dataset="xor", noise=0.1, hidden_layers=2, width=8, activation="tanh", lr=0.3, epochs=200)


@dataclass
class PlaygroundResult:
    """Everything one training run produced (what :meth:`NetworkPlayground.draw` and the tests read)."""

    params: dict[str, Any]
    X_train: np.ndarray  # (N_train, 2)
    y_train: np.ndarray  # (N_train,)
    X_test: np.ndarray  # (N_test, 2)
    y_test: np.ndarray  # (N_test,)
    history: dict[str, list[float]]  # {'loss': [...], 'accuracy': [...]} per epoch, from dlcourse.train.fit
    train_accuracy: float
    test_accuracy: float
    grid: Grid  # G x G points around the data
    probs: np.ndarray  # (G, G) P(class 1) over the grid
    # one (min(width, MAX_UNITS_SHOWN), G, G) array per hidden layer
    hidden_maps: list[np.ndarray] = field(default_factory=list)
    hidden_sizes: list[int] = field(default_factory=list)  # the true width of each hidden layer
    num_parameters: int = 0
    model: nn.Module | None = None

    @property
    def loss(self) -> list[float]:
        return self.history["loss"]

    @property
    def n_maps(self) -> int:
        """How many activation maps are drawn."""
        return sum(m.shape[0] for m in self.hidden_maps)


def train_playground_model(
    dataset: str = "xor",
    noise: float = 0.1,
    hidden_layers: int = 2,
    width: int = 8,
    activation: str = "tanh",
    lr: float = 0.3,
    epochs: int = 200,
    seed: int = 0,
) -> PlaygroundResult:
    """Make the data, train ``nn.MLP(2, [width] * hidden_layers, 2, activation)`` with SGD, evaluate it.

    The data (300 points: 200 to train on, 100 held out) and the initial weights come from generators seeded
    with ``seed``, so the same settings always give the same picture. Mini-batches of 50 points, plain SGD,
    cross-entropy loss (``dlcourse.train.fit``'s defaults).
    """
    check_choice(dataset, "dataset", DATASET_NAMES)
    check_choice(activation, "activation", ACTIVATION_NAMES)
    hidden_layers = check_int(hidden_layers, "hidden_layers", minimum=0, maximum=8)
    params = dict(
        dataset=dataset,
        noise=noise,
        hidden_layers=int(hidden_layers),
        width=int(width),
        activation=activation,
        lr=float(lr),
        epochs=int(epochs),
    )
    X, y = make_dataset(dataset, n_samples=N_SAMPLES, noise=noise, rng=np.random.default_rng(seed))
    order = np.random.default_rng(seed + 1).permutation(len(X))
    tr, te = order[:N_TRAIN], order[N_TRAIN:]

    hidden = [int(width)] * int(hidden_layers)
    model = nn.MLP(2, hidden, 2, activation, rng=np.random.default_rng(seed + 2))
    history = train.fit(
        model,
        X[tr],
        y[tr],
        epochs=int(epochs),
        lr=float(lr),
        batch_size=BATCH_SIZE,
        rng=np.random.default_rng(seed + 3),
    )

    grid = make_grid(X, GRID_RESOLUTION, margin=0.3)
    probs = model_probabilities(model, grid.points)[:, 1].reshape(grid.xx.shape)  # (G, G)
    return PlaygroundResult(
        params=params,
        X_train=X[tr],
        y_train=y[tr],
        X_test=X[te],
        y_test=y[te],
        history=history,
        train_accuracy=accuracy_score(y[tr], train.predict(model, X[tr])),
        test_accuracy=accuracy_score(y[te], train.predict(model, X[te])),
        grid=grid,
        probs=probs,
        hidden_maps=hidden_activation_maps(model, grid, MAX_UNITS_SHOWN),
        hidden_sizes=hidden,
        num_parameters=model.num_parameters(),
        model=model,
    )


class NetworkPlayground(InteractiveFigure):
    """Train a small network on 2-D data; see its decision boundary, loss curve and hidden units.

    Keyword arguments set the starting values of the controls (see ``DEFAULTS``), e.g.
    ``NetworkPlayground(dataset='circles', hidden_layers=1, width=3)``.
    """

    figsize = (11.0, 5.6)

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        v = merge_settings(DEFAULTS, initial)
        style = {"description_width": "initial"}
        controls = {
            "dataset": w.Dropdown(options=DATASET_NAMES, value=v["dataset"], description="data", style=style),
            "noise": w.FloatSlider(
                value=v["noise"], min=0.0, max=0.5, step=0.05, description="noise", continuous_update=False, style=style
            ),
            "hidden_layers": w.IntSlider(
                value=v["hidden_layers"],
                min=0,
                max=4,
                description="hidden layers",
                continuous_update=False,
                style=style,
            ),
            "width": w.IntSlider(
                value=v["width"], min=1, max=16, description="units per layer", continuous_update=False, style=style
            ),
            "activation": w.Dropdown(
                options=ACTIVATION_NAMES, value=v["activation"], description="activation", style=style
            ),
            "lr": w.FloatLogSlider(
                value=v["lr"],
                base=10,
                min=-3,
                max=0.5,
                step=0.1,
                description="learning rate",
                readout_format=".3g",
                continuous_update=False,
                style=style,
            ),
            "epochs": w.IntSlider(
                value=v["epochs"], min=10, max=500, step=10, description="epochs", continuous_update=False, style=style
            ),
        }
        super().__init__(controls)

    def compute(self, **params: Any) -> PlaygroundResult:
        return train_playground_model(**params)

    def draw(self, fig: Figure, result: PlaygroundResult) -> None:
        left, right = fig.subfigures(1, 2, width_ratios=[1.0, 1.25])
        ax_b, ax_l = left.subplots(2, 1, height_ratios=[3.0, 1.1])
        draw_decision_boundary(
            ax_b, result.grid, result.probs, result.X_train, result.y_train, result.X_test, result.y_test
        )
        ax_b.set_title(
            f"train {result.train_accuracy:.0%} · test {result.test_accuracy:.0%}  (○ train, △ test)", fontsize=10
        )
        ax_l.plot(np.arange(1, len(result.loss) + 1), result.loss, color="tab:purple")
        ax_l.set_xlabel("epoch", fontsize=9)
        ax_l.set_ylabel("training loss", fontsize=9)
        ax_l.set_ylim(bottom=0)
        ax_l.tick_params(labelsize=8)
        p = result.params
        title = (
            f"hidden units ({p['activation']}; at most {MAX_UNITS_SHOWN} shown per layer)"
            if result.hidden_maps
            else "hidden units"
        )
        draw_activation_maps(right, result.hidden_maps, result.grid, result.hidden_sizes, title=title)

    def summary(self, result: PlaygroundResult) -> str:
        return (
            f"train accuracy {result.train_accuracy:.1%} · test accuracy {result.test_accuracy:.1%} · "
            f"final loss {result.loss[-1]:.3f} · {result.num_parameters} parameters"
        )
