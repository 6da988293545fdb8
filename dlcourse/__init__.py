"""dlcourse: the from-scratch NumPy implementations behind the course, checked against PyTorch.

Importing dlcourse loads only NumPy. PyTorch, scikit-learn, matplotlib and ipywidgets are imported inside the
functions that need them (``dlcourse.checks`` references, ``dlcourse.viz``).
"""

from . import data, functional, metrics, nn, optim
from .source import show_source

__version__ = "0.1.0"
__all__ = ["data", "functional", "metrics", "nn", "optim", "show_source", "__version__"]
