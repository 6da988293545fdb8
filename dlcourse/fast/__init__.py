"""Chapters 00 and 05: speed machinery, kept apart from the code the chapters teach. Chapter 00 introduces
``limit_threads`` (every chapter's setup cell calls it); chapter 05 explains the fast convolution and what it is
made of.

* :mod:`dlcourse.fast.threads` — how many threads NumPy's BLAS, PyTorch and dlcourse use (``limit_threads``), and
  the batch slicing that runs a big kernel on every core;
* :mod:`dlcourse.fast.scratch` — scratch arrays whose memory is reused from one training step to the next;
* :mod:`dlcourse.fast.conv` — the convolution ``nn.Conv2d`` runs (chapter 05): the readable im2col pair of
  :mod:`dlcourse.functional.conv` with threads per batch slice, scratch memory and a "same"-convolution shortcut;
* :mod:`dlcourse.fast.pooling` — the pooling kernels ``nn.MaxPool2d`` and ``nn.AvgPool2d`` run (chapter 05).

The layers in :mod:`dlcourse.nn` use these; the kernels a chapter prints (:mod:`dlcourse.functional`) do not. Tests
hold every fast kernel equal to its readable twin and to PyTorch.
"""

from .threads import get_num_threads, limit_threads, set_num_threads

__all__ = ["get_num_threads", "limit_threads", "set_num_threads"]
