"""Chapter 15: transfer learning, pretrain on one task and fine-tune on another (:mod:`.finetune`).

Import what you need: ``from dlcourse.transfer import fit_torch, transfer_curve``.
"""

from .finetune import (
    METHODS,
    accuracy_torch,
    class_subset,
    fit_torch,
    freeze,
    frozen_prefixes,
    k_per_class,
    pooled_features,
    transfer_curve,
    transfer_run,
)

__all__ = [
    "METHODS",
    "accuracy_torch",
    "class_subset",
    "fit_torch",
    "freeze",
    "frozen_prefixes",
    "k_per_class",
    "pooled_features",
    "transfer_curve",
    "transfer_run",
]
