r"""Chapter 04: two-dimensional test functions for optimizers, and a way to run any dlcourse optimizer on them.

Each surface is an object with ``value(xy)`` and ``gradient(xy)`` for points ``xy`` of shape (..., 2) (one point,
a batch, or a whole grid for a contour plot), its minima, a plotting window and a default starting point:

* :class:`Rosenbrock` — a long, curved, flat-bottomed valley (Rosenbrock, 1960); minimum (a, a^2);
* :class:`Beale` — steep walls, flat plateaus and a narrow approach to the minimum (3, 0.5);
* :class:`Saddle` — a saddle point at the origin between two minima (0, +-1): gradient descent started near the
  ridge lingers there;
* :class:`IllConditionedQuadratic` — an elongated bowl whose curvatures differ by the condition number, optionally
  rotated away from the axes.

:func:`run_optimizer` puts the two coordinates in one :class:`dlcourse.nn.Parameter` and lets an optimizer from
:mod:`dlcourse.optim` walk downhill, recording the path::

    path = run_optimizer(Rosenbrock(), "Adam", steps=200, lr=0.05)
    path.xy          # (201, 2) positions, the start included
    path.values      # (201,) function values along the way
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import optim
from ._validate import as_float_array, check_finite
from .nn import Parameter

__all__ = [
    "Surface",
    "Rosenbrock",
    "Beale",
    "Saddle",
    "IllConditionedQuadratic",
    "SURFACES",
    "make_surface",
    "OptimizerPath",
    "run_optimizer",
]

#: a path whose coordinates leave this box, or become NaN or infinite, has diverged and stops there
DIVERGED = 1e6


class Surface:
    """A function f: R^2 -> R with its gradient. Subclasses implement :meth:`_value` and :meth:`_gradient` on the
    coordinates x, y (arrays of one shape)."""

    name = "surface"
    #: (x_min, x_max, y_min, y_max), the window the figures show
    extent: tuple[float, float, float, float] = (-2.0, 2.0, -2.0, 2.0)
    #: the default starting point, (2,)
    start: np.ndarray = np.zeros(2)
    #: the global minima, (k, 2)
    minima: np.ndarray = np.zeros((1, 2))
    #: learning rates that work here: one for methods whose step scales with the gradient (SGD, momentum), one for
    #: those that divide by its running size (Adagrad, RMSprop, Adam: steps of about lr per coordinate)
    suggested_lr: dict[str, float] = {"SGD": 0.01, "adaptive": 0.1}

    def _split(self, xy, name="xy"):
        xy = as_float_array(xy, name)
        if xy.ndim == 0 or xy.shape[-1] != 2:
            raise ValueError(f"{name}: expected points of shape (..., 2), got shape {xy.shape}")
        return xy[..., 0], xy[..., 1]

    def value(self, xy: ArrayLike) -> np.ndarray:
        """f at points ``xy`` of shape (..., 2); returns shape (...)."""
        return self._value(*self._split(xy))

    def gradient(self, xy: ArrayLike) -> np.ndarray:
        """(df/dx, df/dy) at points ``xy`` of shape (..., 2); returns shape (..., 2)."""
        dx, dy = self._gradient(*self._split(xy))
        return np.stack([dx, dy], axis=-1)

    __call__ = value

    @property
    def min_value(self) -> float:
        return float(self.value(self.minima).min())

    def _value(self, x, y):
        raise NotImplementedError

    def _gradient(self, x, y):
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Rosenbrock(Surface):
    r""":math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, minimum 0 at :math:`(a, a^2)`.

    The valley floor :math:`y = x^2` is easy to find and hard to follow: along it the function changes slowly,
    across it steeply (:math:`b` = 100 sets the ratio)."""

    name = "Rosenbrock"
    extent = (-2.0, 2.0, -1.0, 3.0)

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = float(a), float(b)
        self.start = np.array([-1.2, 1.0])  # Rosenbrock's (1960) own starting point
        self.suggested_lr = {"SGD": 1e-3, "adaptive": 0.1}
        self.minima = np.array([[self.a, self.a**2]])

    def _value(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _gradient(self, x, y):
        r = y - x**2
        return -2 * (self.a - x) - 4 * self.b * x * r, 2 * self.b * r


class Beale(Surface):
    r""":math:`f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`, minimum 0 at (3, 0.5).

    Values range over five orders of magnitude in the window: steep walls where :math:`|y| > 1`, a flat plateau
    around the origin and a narrow curved valley leading to the minimum."""

    name = "Beale"
    extent = (-2.0, 4.5, -2.5, 2.5)

    def __init__(self) -> None:
        self.start = np.array([0.7, 1.4])
        self.suggested_lr = {"SGD": 5e-3, "adaptive": 0.2}
        self.minima = np.array([[3.0, 0.5]])

    @staticmethod
    def _terms(x, y):
        return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3

    def _value(self, x, y):
        u1, u2, u3 = self._terms(x, y)
        return u1**2 + u2**2 + u3**2

    def _gradient(self, x, y):
        u1, u2, u3 = self._terms(x, y)
        dx = 2 * u1 * (y - 1) + 2 * u2 * (y**2 - 1) + 2 * u3 * (y**3 - 1)
        dy = 2 * u1 * x + 4 * u2 * x * y + 6 * u3 * x * y**2
        return dx, dy


class Saddle(Surface):
    r""":math:`f(x, y) = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2`: a saddle point at the origin, minima
    :math:`-\tfrac14` at :math:`(0, \pm 1)`.

    At the origin the gradient is zero, the curvature is +1 along x and -1 along y. Started on the ridge (y close
    to 0), gradient descent first slides to the saddle and only slowly rolls off it, because the gradient that
    pushes it away, :math:`y^3 - y \approx -y`, is as small as y itself."""

    name = "saddle"
    extent = (-2.5, 2.5, -1.75, 1.75)

    def __init__(self) -> None:
        self.start = np.array([-2.2, 1e-3])
        self.suggested_lr = {"SGD": 0.05, "adaptive": 0.1}
        self.minima = np.array([[0.0, 1.0], [0.0, -1.0]])
        self.saddle_points = np.array([[0.0, 0.0]])

    def _value(self, x, y):
        return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2

    def _gradient(self, x, y):
        return x, y**3 - y


class IllConditionedQuadratic(Surface):
    r""":math:`f(\mathbf{p}) = \tfrac12\,\mathbf{p}^\top R\,\mathrm{diag}(1, \kappa)\,R^\top\mathbf{p}`, minimum 0
    at the origin, with :math:`R` the rotation by ``angle_degrees``.

    The curvatures along the two principal axes are 1 and :math:`\kappa` (the condition number). Gradient descent
    is stable only for a learning rate below :math:`2/\kappa`, at which the flat direction shrinks by just
    :math:`1 - 2/\kappa` per step. Rotated (angle not 0), the bowl's axes no longer line up with the coordinates,
    which is what a per-coordinate method such as Adam can exploit."""

    extent = (-5.0, 5.0, -3.0, 3.0)

    def __init__(self, condition_number: float = 50.0, angle_degrees: float = 0.0) -> None:
        if not np.isfinite(condition_number) or condition_number < 1:
            raise ValueError(f"condition_number: expected a finite number >= 1, got {condition_number!r}")
        self.condition_number, self.angle_degrees = float(condition_number), float(angle_degrees)
        c, s = np.cos(np.radians(angle_degrees)), np.sin(np.radians(angle_degrees))
        rotation = np.array([[c, -s], [s, c]])
        self.hessian = rotation @ np.diag([1.0, self.condition_number]) @ rotation.T  # (2, 2), symmetric
        self.name = "quadratic" if angle_degrees == 0 else "rotated quadratic"
        self.start = np.array([-4.5, 2.0])
        self.suggested_lr = {"SGD": 1.8 / self.condition_number, "adaptive": 0.1}  # just below 2 / kappa
        self.minima = np.zeros((1, 2))

    def _value(self, x, y):
        H = self.hessian
        return 0.5 * (H[0, 0] * x * x + 2 * H[0, 1] * x * y + H[1, 1] * y * y)

    def _gradient(self, x, y):
        H = self.hessian
        return H[0, 0] * x + H[0, 1] * y, H[1, 0] * x + H[1, 1] * y

    def __repr__(self) -> str:
        return (
            f"IllConditionedQuadratic(condition_number={self.condition_number:g}, angle_degrees={self.angle_degrees:g})"
        )


#: the surfaces by name, as the optimizer playground lists them
SURFACES = {
    "Rosenbrock": Rosenbrock,
    "Beale": Beale,
    "saddle": Saddle,
    "quadratic": IllConditionedQuadratic,
    "rotated quadratic": lambda: IllConditionedQuadratic(angle_degrees=30.0),
}


def make_surface(name: str) -> Surface:
    """One of :data:`SURFACES` by name."""
    if name not in SURFACES:
        raise ValueError(f"name: expected one of {list(SURFACES)}, got {name!r}")
    return SURFACES[name]()


@dataclass
class OptimizerPath:
    """Where an optimizer went on a surface."""

    xy: np.ndarray  # (T + 1, 2) positions, the start first; shorter than steps + 1 if it diverged
    values: np.ndarray  # (T + 1,) the function at those positions
    diverged: bool  # the run left the box |x|, |y| < DIVERGED or produced NaN/inf, and was stopped

    @property
    def final(self) -> np.ndarray:
        return self.xy[-1]

    def distance_to(self, points: ArrayLike) -> float:
        """Distance from the final position to the nearest of ``points`` (k, 2), e.g. ``surface.minima``."""
        return float(np.min(np.linalg.norm(np.asarray(points) - self.final, axis=-1)))


def run_optimizer(
    surface: Surface,
    optimizer: str | Callable[..., optim.Optimizer],
    steps: int = 100,
    start: ArrayLike | None = None,
    **hyperparameters: float | bool | tuple[float, float],
) -> OptimizerPath:
    """Minimise ``surface`` from ``start`` (default ``surface.start``) with a dlcourse optimizer.

    Parameters
    ----------
    surface : a :class:`Surface`
    optimizer : an optimizer class from :mod:`dlcourse.optim` or its name (``"SGD"``, ``"Adam"`` ...), or any
        function ``params -> Optimizer``
    steps : number of optimizer steps
    start : (2,) starting point
    hyperparameters : passed to the optimizer, e.g. ``lr=0.01, momentum=0.9``

    Returns
    -------
    :class:`OptimizerPath` with the ``steps + 1`` positions (fewer if the run diverged).
    """
    if not isinstance(surface, Surface):
        raise ValueError(f"surface: expected a dlcourse.surfaces.Surface, got {type(surface).__name__}")
    if isinstance(optimizer, str):
        if not isinstance(getattr(optim, optimizer, None), type) or optimizer in ("Optimizer", "lr_scheduler"):
            raise ValueError(
                f"optimizer: expected the name of a dlcourse.optim optimizer (SGD, Adagrad, RMSprop, "
                f"Adam, AdamW), got {optimizer!r}"
            )
        optimizer = getattr(optim, optimizer)
    if not callable(optimizer):
        raise ValueError(f"optimizer: expected an optimizer class or name, got {type(optimizer).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps!r}")
    start = surface.start if start is None else start
    xy0 = as_float_array(start, "start").astype(np.float64)
    if xy0.shape != (2,):
        raise ValueError(f"start: expected a point of shape (2,), got shape {xy0.shape}")
    check_finite(xy0, "start")

    param = Parameter("xy", xy0.copy(), np.zeros(2))
    opt = optimizer([param], **hyperparameters)
    path, values, diverged = [xy0.copy()], [float(surface.value(xy0))], False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps)):
            param.grad[:] = surface.gradient(param.data)
            opt.step()
            if not np.all(np.isfinite(param.data)) or np.abs(param.data).max() > DIVERGED:
                diverged = True
                break
            path.append(param.data.copy())
            values.append(float(surface.value(param.data)))
    return OptimizerPath(np.array(path), np.array(values), diverged)
