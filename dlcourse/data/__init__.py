"""Data the course ships or makes: synthetic 2-D sets, scikit-learn's digits, and mini-batching."""
from .batching import iterate_minibatches
from .digits import Split, load_digits
from .synthetic import (DATASETS, XOR_INPUTS, XOR_TARGETS, make_blobs, make_circles, make_dataset, make_moons,
                        make_spirals, make_xor)

__all__ = ["Split", "load_digits", "iterate_minibatches", "DATASETS", "XOR_INPUTS", "XOR_TARGETS", "make_blobs", "make_circles",
           "make_dataset", "make_moons", "make_spirals", "make_xor"]
