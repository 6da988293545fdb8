"""The types that many of the package's signatures share, named once.

For annotations only: every module starts with ``from __future__ import annotations``, so nothing here is looked
up when a function is called. Arrays a function accepts (lists, scalars, arrays of any real dtype, converted
with :func:`dlcourse._validate.as_float_array`) are ``numpy.typing.ArrayLike``; arrays it returns or keeps are
``np.ndarray``.
"""

from __future__ import annotations

import os
from typing import Literal, TypeAlias

import numpy as np

#: a kernel size, stride or padding: one int for both sides, or (height, width)
Size2: TypeAlias = int | tuple[int, int]

#: a random generator, or an int that seeds a new one (None where nothing is drawn, or to be told one is needed);
#: written as a string so that ``import dlcourse`` does not load ``numpy.random``
Seed: TypeAlias = "np.random.Generator | int | None"

#: a file or folder: a string or a ``pathlib.Path``
StrPath: TypeAlias = str | os.PathLike[str]

#: how a loss turns the examples' losses into its value: their mean, their sum, or all of them (no reduction)
Reduction: TypeAlias = Literal["mean", "sum", "none"]
