"""Chapter 12: interpretation: attribution for one prediction and checks of whether the attributions are true.

Gradients (:mod:`.gradients`: saliency, gradient × input, SmoothGrad, Integrated Gradients), occlusion
(:mod:`.occlusion`), Grad-CAM (:mod:`.gradcam`), LIME (:mod:`.lime`), Shapley values and KernelSHAP
(:mod:`.shapley`), and the sanity checks (:mod:`.sanity`: cascading model randomisation, deletion and insertion
curves). Each is written from scratch in NumPy for ``dlcourse.nn`` models (or any function of a batch returning
scores) and checked against an independent computation: torch autograd on the model's PyTorch twin, scikit-learn's
Ridge, exact enumeration, scipy's Spearman correlation; and with the reference packages on the same model and
input: captum (gradients, occlusion, Grad-CAM, its Lime and Shapley values), lime (``LimeBase`` and
``LimeImageExplainer`` on their own draws) and shap (``KernelExplainer``, ``Exact``, ``Permutation``).
"""

from .gradcam import grad_cam, upsample
from .gradients import gradient_x_input, integrated_gradients, quadrature, saliency, smoothgrad
from .lime import LimeExplanation, kernel_weights, lime_explain, mask_distances, weighted_ridge
from .occlusion import occlusion
from .sanity import (
    Curve,
    RandomizationCheck,
    deletion_curve,
    insertion_curve,
    model_randomization,
    randomize_layers,
    reinitialise,
    spearman_correlation,
)
from .shapley import exact_shapley, kernel_shap, shapley_kernel

__all__ = [
    "Curve",
    "LimeExplanation",
    "RandomizationCheck",
    "deletion_curve",
    "exact_shapley",
    "grad_cam",
    "gradient_x_input",
    "insertion_curve",
    "integrated_gradients",
    "kernel_shap",
    "kernel_weights",
    "lime_explain",
    "mask_distances",
    "model_randomization",
    "occlusion",
    "quadrature",
    "randomize_layers",
    "reinitialise",
    "saliency",
    "shapley_kernel",
    "smoothgrad",
    "spearman_correlation",
    "upsample",
    "weighted_ridge",
]
