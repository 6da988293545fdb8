"""The reference packages chapter 12 is compared with, imported the one way the tests import them.

shap's maskers and its Exact explainer are numba functions, compiled on their first call (about 8 s); at the tests'
sizes they run in milliseconds as plain Python, so numba's compilation is turned off before shap loads (numba serves
nothing else in the course). shap's colour maps call matplotlib's ``set_over`` / ``set_under``, which matplotlib
marks for deprecation: that notice is silenced here, once.
"""

from __future__ import annotations

import warnings

import captum.attr
import lime.lime_base
import numba

numba.config.DISABLE_JIT = True  # read when shap's functions are decorated, so before shap is imported
with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    import shap

__all__ = ["captum", "lime", "shap"]
