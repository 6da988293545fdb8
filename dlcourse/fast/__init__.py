"""Speed machinery, kept apart from the code the chapters teach.

* :mod:`dlcourse.fast.threads` — how many threads NumPy's BLAS, PyTorch and dlcourse use (``limit_threads``), and
  the batch slicing that runs a big kernel on every core;
* :mod:`dlcourse.fast.scratch` — scratch arrays whose memory is reused from one training step to the next.

The layers in :mod:`dlcourse.nn` use these; the kernels a chapter prints (:mod:`dlcourse.functional`) do not.
"""
from .threads import get_num_threads, limit_threads, set_num_threads

__all__ = ["get_num_threads", "limit_threads", "set_num_threads"]
