"""Chapter 14: one model in several frameworks, and training beyond one process.

* :mod:`~dlcourse.frameworks.porting`: a dlcourse state dict as a ``torch.nn`` module's state dict (renamed keys, the
  same layouts) and as a Keras model's weights (Dense kernels (in, out), Conv2D kernels (kh, kw, in, out), the first
  Dense after a Flatten reordered for channels-last images);
* :mod:`~dlcourse.frameworks.fourways`: the same network trained by plain mini-batch SGD in dlcourse, PyTorch and
  Keras 3, and the lines of code each takes;
* :mod:`~dlcourse.frameworks.distributed`: data-parallel training with ``torch.distributed``
  (``DistributedDataParallel``, gloo backend) on processes of this machine, beside single-process training on the
  same global batches.

PyTorch is imported through :mod:`dlcourse._lazy` and Keras inside the functions that use it.
"""

from . import distributed, fourways, porting
from .porting import keras_weights, to_keras, to_torch_state

__all__ = ["distributed", "fourways", "keras_weights", "porting", "to_keras", "to_torch_state"]
