r"""Chapter 02: a tiny reverse-mode automatic differentiation engine over NumPy arrays: micrograd's idea with tensors.

A :class:`Tensor` holds ``data`` (an ndarray), ``grad`` (an ndarray of the same shape, or None before any backward
pass), the tensors it was computed from (``parents``) and a ``backward`` closure that knows the local derivative of
the operation that made it. Every operation builds a new node of the computational graph. ``loss.backward()`` visits
the graph in reverse topological order, and each node's closure turns its own gradient :math:`\partial L/\partial
\text{out}` into contributions to its parents' gradients (the chain rule). Contributions *add up*: a tensor used
twice receives the sum of both paths' gradients.

Broadcasting: when an operation broadcast an operand (``x + b`` with ``x`` (N, H) and ``b`` (H,)), each entry of
``b`` was used N times, so its gradient is the sum over the broadcast axes: :func:`unbroadcast` reduces a gradient
back to its operand's shape.

Names and semantics follow PyTorch: ``t.sum(axis, keepdims)`` (NumPy's argument names, torch's ``dim``/``keepdim``
behaviour), ``t.T``, ``t @ u``, ``t.relu()``, ``t.log_softmax(dim)``; like ``torch.Tensor.grad``, the gradients of
leaf tensors *accumulate* across backward passes until :meth:`Tensor.zero_grad`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an operand of ``shape`` was broadcast.

    Broadcasting prepends axes and stretches axes of size 1; the gradient of a stretched entry is the sum of the
    gradients of all its copies.

    Parameters
    ----------
    grad : gradient of the broadcast result, shape (*out)
    shape : the operand's own shape, broadcastable to (*out)

    Returns
    -------
    array of shape ``shape``
    """
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(
            f"shape: expected at most {grad.ndim} dimensions for a gradient of shape {grad.shape}, got {shape}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))  # the prepended axes
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # the axes of size 1 that were stretched
    if grad.shape != shape:
        raise ValueError(f"shape: a gradient of shape {grad.shape} cannot come from an operand of shape {shape}")
    return grad


class MulCache(NamedTuple):
    a: np.ndarray
    b: np.ndarray


def mul_forward(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, MulCache]:
    """Elementwise product with broadcasting, as a kernel pair: ``out, cache = mul_forward(a, b)``.

    Returns
    -------
    out : a * b, shape ``np.broadcast_shapes(a.shape, b.shape)``
    cache : MulCache(a, b)
    """
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"b: expected a shape that broadcasts with a's {a.shape}, got {b.shape}") from None
    return a * b, MulCache(a, b)


def mul_backward(dout: ArrayLike, cache: MulCache) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\partial(ab)/\partial a = b` and :math:`\partial(ab)/\partial b = a`, each summed back to its operand's
    shape. Returns (da, db) with the shapes of a and b."""
    return unbroadcast(dout * cache.b, cache.a.shape), unbroadcast(dout * cache.a, cache.b.shape)


class Tensor:
    """An array that remembers how it was computed, so that ``backward()`` can differentiate through it.

    Parameters
    ----------
    data : array-like (converted to a float array; float32 stays float32)
    parents : the tensors this one was computed from (empty for a leaf)
    op : name of the operation that produced it ('' for a leaf), used in graph figures
    name : an optional label for figures and messages
    """

    __array_ufunc__ = None  # ndarray + Tensor calls Tensor.__radd__ instead of NumPy's own loop

    def __init__(self, data: ArrayLike, parents: tuple[Tensor, ...] = (), op: str = "", name: str = "") -> None:
        self.data = as_float_array(data, "data")
        self.grad: np.ndarray | None = None
        self.parents = tuple(parents)
        self.op = op
        self.name = name
        self._backward: Callable[[], None] = lambda: None
        self._grad_fn: Callable[[np.ndarray], tuple] | None = None  # grad_out -> one contribution per parent

    # -- basics -----------------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}{op}{label})"

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values as a new leaf: gradients do not flow through it."""
        return Tensor(self.data.copy())

    def zero_grad(self) -> None:
        self.grad = None

    def _lift(self, other) -> Tensor:
        """Wrap a number or array as a constant leaf in this tensor's dtype."""
        if isinstance(other, Tensor):
            return other
        return Tensor(np.asarray(other, dtype=self.data.dtype))

    def _child(self, data, parents: tuple, op: str, backward: Callable[[np.ndarray], tuple]) -> Tensor:
        """A new node; ``backward(grad_out)`` returns the local gradient contribution for each parent."""
        out = Tensor(data, parents, op)
        out._grad_fn = backward

        def _backward():
            for parent, g in zip(parents, backward(out.grad)):
                parent._accumulate(g)

        out._backward = _backward
        return out

    def _accumulate(self, g: np.ndarray) -> None:
        g = unbroadcast(np.asarray(g, dtype=self.data.dtype), self.shape)
        self.grad = g.copy() if self.grad is None else self.grad + g

    # -- arithmetic (all broadcast like NumPy) ----------------------------------------------------
    def __add__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        return self._child(self.data + other.data, (self, other), "+", lambda g: (g, g))

    def __mul__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a * b, (self, other), "*", lambda g: (g * b, g * a))

    def __neg__(self) -> Tensor:
        return self._child(-self.data, (self,), "neg", lambda g: (-g,))

    def __sub__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        return self._child(self.data - other.data, (self, other), "-", lambda g: (g, -g))

    def __truediv__(self, other: Tensor | ArrayLike) -> Tensor:
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a / b, (self, other), "/", lambda g: (g / b, -g * a / b**2))

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
            raise ValueError(f"exponent: expected a number (a constant power), got {type(exponent).__name__}")
        p, a = float(exponent), self.data
        return self._child(a**p, (self,), f"**{exponent:g}", lambda g: (g * p * a ** (p - 1),))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) + self

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) - self

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) * self

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) / self

    def __matmul__(self, other: Tensor | ArrayLike) -> Tensor:
        """Matrix product with NumPy's rules: 1-D operands are promoted, leading (batch) axes broadcast."""
        other = self._lift(other)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"other: matmul needs operands with at least one dimension, got {a.shape} @ {b.shape}")

        def backward(g):
            a2 = a[None, :] if a.ndim == 1 else a  # (..., n, k)
            b2 = b[:, None] if b.ndim == 1 else b  # (..., k, m)
            g2 = g.reshape(np.matmul(a2, b2).shape)  # (..., n, m): the promoted axes put back
            da = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)  # (..., n, k)
            db = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)  # (..., k, m)
            return da, db

        return self._child(a @ b, (self, other), "@", backward)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return self._lift(other) @ self

    # -- reductions -------------------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (int, tuple or None for all). The gradient copies g back along the summed axes."""
        shape = self.shape

        def backward(g):
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)  # re-insert the summed axes as size 1
            return (np.broadcast_to(g, shape),)

        return self._child(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum", backward)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``: the sum divided by the number of entries averaged."""
        axes = range(self.ndim) if axis is None else (axis,) if np.ndim(axis) == 0 else axis
        count = int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axis, keepdims) * (1.0 / count)

    # -- elementwise functions --------------------------------------------------------------------
    def exp(self) -> Tensor:
        out = np.exp(self.data)
        return self._child(out, (self,), "exp", lambda g: (g * out,))

    def log(self) -> Tensor:
        x = self.data
        return self._child(np.log(x), (self,), "log", lambda g: (g / x,))

    def tanh(self) -> Tensor:
        out = np.tanh(self.data)
        return self._child(out, (self,), "tanh", lambda g: (g * (1.0 - out**2),))

    def sigmoid(self) -> Tensor:
        e = np.exp(-np.abs(self.data))  # stable, as dlcourse.functional.sigmoid
        out = np.where(self.data >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(self.dtype, copy=False)
        return self._child(out, (self,), "sigmoid", lambda g: (g * out * (1.0 - out),))

    def relu(self) -> Tensor:
        x = self.data
        return self._child(np.maximum(x, 0.0).astype(x.dtype, copy=False), (self,), "relu", lambda g: (g * (x > 0),))

    # -- shapes -----------------------------------------------------------------------------------
    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        old = self.shape
        return self._child(self.data.reshape(shape), (self,), "reshape", lambda g: (g.reshape(old),))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (all reversed by default, like ``ndarray.transpose``); the gradient permutes back."""
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(axes))
        return self._child(self.data.transpose(axes), (self,), "T", lambda g: (g.transpose(inverse),))

    T = property(lambda self: self.transpose())

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing and slicing; repeated integer indices receive the sum of their gradients (``np.add.at``)."""
        if isinstance(index, Tensor):
            raise ValueError("index: expected ints, slices or integer arrays, got a Tensor; use tensor.data")
        shape, dtype = self.shape, self.dtype

        def backward(g):
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)
            return (full,)

        return self._child(self.data[index], (self,), "[]", backward)

    # -- softmax family ---------------------------------------------------------------------------
    def log_softmax(self, dim: int = -1) -> Tensor:
        r"""``x - logsumexp(x)`` along ``dim``, from the primitives above.

        The maximum is subtracted as a *constant* (a detached tensor): log-softmax does not change when a constant
        is subtracted along ``dim``, so the gradient through the maximum would be exactly zero anyway.
        """
        shift = Tensor(self.data.max(axis=dim, keepdims=True))  # constant: no gradient flows into it
        z = self - shift  # every entry <= 0: exp cannot overflow
        return z - z.exp().sum(axis=dim, keepdims=True).log()

    def softmax(self, dim: int = -1) -> Tensor:
        return self.log_softmax(dim).exp()

    # -- backpropagation --------------------------------------------------------------------------
    def local_gradients(self) -> tuple:
        """d(self)/d(parent) for each parent, as the contributions of an upstream gradient of ones (for scalar
        graphs these are the local derivatives written on the edges of a graph figure)."""
        return tuple(self._grad_fn(np.ones_like(self.data))) if self._grad_fn else ()

    def topological_order(self) -> list[Tensor]:
        """Every node this tensor depends on, each after all of its parents (iterative depth-first search)."""
        order, visited = [], set()
        stack = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in visited)
        return order

    def backward(self, gradient: ArrayLike | None = None) -> None:
        """Fill ``.grad`` of every tensor this one depends on with dL/dtensor, where L is this tensor.

        ``gradient`` is dL/dself for a non-scalar tensor (like ``torch.Tensor.backward(gradient)``); for a scalar it
        defaults to 1. Intermediate nodes get fresh gradients; leaves (tensors without parents) accumulate.
        """
        if gradient is None:
            if self.size != 1:
                raise ValueError(
                    f"gradient: expected an upstream gradient of shape {self.shape}; it can be left out "
                    "only for a scalar (one-element) tensor"
                )
            gradient = np.ones_like(self.data)
        gradient = np.asarray(gradient, dtype=self.dtype)
        if gradient.shape != self.shape:
            raise ValueError(f"gradient: expected shape {self.shape}, got {gradient.shape}")
        order = self.topological_order()
        for node in order:
            if node.parents:
                node.grad = None  # intermediate results start from zero
        self._accumulate(gradient)
        for node in reversed(order):  # outputs before inputs
            if node.parents and node.grad is not None:
                node._backward()
