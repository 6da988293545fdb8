"""Chapter 07: gradient clipping, ``torch.nn.utils.clip_grad_norm_``: the cure for exploding gradients in recurrent
networks (and anywhere else), applied between ``backward`` and the optimizer's ``step``::

    model.zero_grad(); ...; model.backward(dout)
    total_norm = clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()

It takes what an optimizer takes (:mod:`dlcourse.optim`): ``model.parameters()``, ``model.named_parameters()``, a
Module, a single :class:`~dlcourse.nn.Parameter`, or parameter groups (``opt.param_groups``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from .._validate import check_number
from .module import Module, Parameter

#: what clip_grad_norm_ takes: the same as an optimizer
Params = Module | Parameter | Iterable[Parameter] | Iterable[tuple[str, Parameter]] | Iterable[dict]


def _parameters(parameters) -> list[Parameter]:
    if isinstance(parameters, Module):
        return parameters.parameters()
    if isinstance(parameters, Parameter):
        return [parameters]
    try:
        items = list(parameters)
    except TypeError:
        raise ValueError(
            f"parameters: expected model.parameters(), a Module or a Parameter, got {type(parameters).__name__}"
        ) from None
    params = []
    for i, p in enumerate(items):
        if isinstance(p, dict) and "params" in p:  # a parameter group, as in opt.param_groups
            params += _parameters(p["params"])
            continue
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Parameter):  # from named_parameters()
            p = p[1]
        if not isinstance(p, Parameter):
            raise ValueError(
                f"parameters[{i}]: expected a dlcourse.nn.Parameter (from model.parameters()), got {type(p).__name__}"
            )
        params.append(p)
    if len(set(params)) != len(params):
        raise ValueError(
            "parameters: expected each parameter once, got a parameter twice (its gradient would count twice in "
            "the norm and be scaled twice)"
        )
    return params


def _norm_type(norm_type: object) -> float:
    if isinstance(norm_type, str) and norm_type == "inf":
        return math.inf
    if isinstance(norm_type, numbers.Real) and not isinstance(norm_type, bool) and norm_type == math.inf:
        return math.inf
    return check_number(norm_type, "norm_type", minimum=0, what="a positive number or inf")


def clip_grad_norm_(
    parameters: Params, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    r"""Scale all gradients in place so that their total norm is at most ``max_norm``; return the total norm.

    The total norm is the norm of all gradients as one long vector,
    :math:`\|g\|_p = (\sum_k |g_k|^p)^{1/p}` (``norm_type`` p; ``inf``: :math:`\max_k |g_k|`), measured before
    clipping. Every gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``, as PyTorch does: the
    direction of the update is kept, only its length is capped.

    Parameters
    ----------
    parameters : ``model.parameters()``, ``model.named_parameters()``, a Module, a Parameter, or parameter groups
        (dicts with a ``'params'`` entry, such as an optimizer's ``param_groups``)
    max_norm : the largest total norm allowed (>= 0)
    norm_type : p > 0, or ``inf`` (``math.inf``, ``float('inf')`` or ``'inf'``)
    error_if_nonfinite : raise a RuntimeError when the total norm is NaN or infinite (by default the gradients are
        scaled by a NaN factor then, as in PyTorch)

    Returns
    -------
    total_norm : float, the norm before clipping
    """
    params = _parameters(parameters)
    max_norm = check_number(max_norm, "max_norm", minimum=0)
    p = _norm_type(norm_type)
    if p == 0:
        raise ValueError("norm_type: expected a positive number or inf, got 0")
    if not params:
        return 0.0
    grads = [param.grad for param in params]
    if p == math.inf:
        norms = [np.max(np.abs(g), initial=0.0) for g in grads]
        total = float(np.max(norms))
    else:
        norms = [np.sum(np.abs(g) ** p) ** (1.0 / p) for g in grads]  # each parameter's norm, then theirs
        total = float(np.sum(np.asarray(norms, dtype=np.float64) ** p) ** (1.0 / p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so they cannot be "
            "clipped; set error_if_nonfinite=False to scale them anyway"
        )
    coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in PyTorch
        for g in grads:
            g *= g.dtype.type(coef)
    return total
