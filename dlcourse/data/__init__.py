"""Chapters 01, 03 and 05: the data the course ships or makes: synthetic 2-D sets (chapter 01), scikit-learn's
digits, mini-batching and data cleaning (chapter 03); and the seeds' real data sets (MNIST, Fashion-MNIST, CIFAR-10,
IMDB; chapter 05), downloaded with pooch when online, with an offline CIFAR-shaped stand-in; movie reviews offline
(``load_movie_reviews``) and a character corpus (``load_python_docs``, ``CharVocab``) for chapter 07; dates to
translate into ISO 8601 (``load_dates``) for chapter 08."""

from . import cleaning
from .batching import iterate_minibatches
from .chars import CharVocab, iterate_char_batches, load_python_docs
from .colour_digits import load_cifar10_or_colour_digits, make_colour_digits
from .datasets import ImageSplit, TextSplit, load_cifar10, load_fashion_mnist, load_imdb, load_mnist, load_or_digits
from .dates import DateSplit, decode_dates, decoder_inputs, exact_match_accuracy, load_dates, make_dates
from .digits import Split, load_digits
from .downloads import DatasetUnavailable
from .reviews import load_movie_reviews
from .synthetic import (
    DATASETS,
    XOR_INPUTS,
    XOR_TARGETS,
    make_blobs,
    make_circles,
    make_dataset,
    make_moons,
    make_spirals,
    make_xor,
)

__all__ = [
    "cleaning",
    "Split",
    "load_digits",
    "iterate_minibatches",
    "DATASETS",
    "XOR_INPUTS",
    "XOR_TARGETS",
    "make_blobs",
    "make_circles",
    "make_dataset",
    "make_moons",
    "make_spirals",
    "make_xor",
    "ImageSplit",
    "TextSplit",
    "DatasetUnavailable",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_imdb",
    "load_or_digits",
]
__all__ += ["load_cifar10_or_colour_digits", "make_colour_digits"]
__all__ += ["load_movie_reviews", "CharVocab", "iterate_char_batches", "load_python_docs"]
__all__ += ["DateSplit", "load_dates", "make_dates", "decoder_inputs", "decode_dates", "exact_match_accuracy"]
