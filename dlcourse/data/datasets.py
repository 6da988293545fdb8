"""Chapter 05: the seeds' real data sets, MNIST, Fashion-MNIST, CIFAR-10 (and IMDB, for the recurrent networks of
a later chapter), downloaded once with pooch.

Every loader returns a ``Split`` like ``load_digits``: the official training set divided into train and
validation parts by an explicit generator (``val_size``, ``rng``), and the official test set as test. Images
stay uint8 in 0..255, NCHW (scale them yourself, e.g. ``X.astype(np.float32) / 255``: a float64 copy of
MNIST's training set would take 376 MB); labels are int64. Names follow torchvision's ``MNIST``,
``FashionMNIST`` and ``CIFAR10`` (``classes``) and Keras' ``imdb.load_data`` (``num_words``, ``maxlen``).

When a download fails the loaders raise ``DatasetUnavailable``; notebooks call ``load_or_digits``, which
falls back to scikit-learn's digits in the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed, StrPath
from .._validate import check_bool, check_choice, check_fraction, check_int, check_rng
from .digits import Split, load_digits
from .downloads import DatasetUnavailable, cache_dir, fetch, get_source
from .formats import read_cifar10_tar, read_idx, read_imdb_tar
from .text import PAD, build_vocab, encode, pad_sequences

MNIST_CLASSES = tuple(str(d) for d in range(10))
# torchvision.datasets.FashionMNIST.classes
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IMDB_CLASSES = ("neg", "pos")


@dataclass(repr=False)
class ImageSplit(Split):
    """A ``Split`` of images: X arrays (N, C, H, W) uint8 in 0..255, y arrays (N,) int64; ``classes[k]`` names k."""

    classes: tuple[str, ...] = ()


@dataclass
class TextSplit(Split):
    """A ``Split`` of reviews: X arrays (N, maxlen) int64 ids (or lists of raw str), y (N,) int64 in {0, 1}.

    ``vocab[i]`` is the word with id i (``vocab[0] = "<pad>"``, ``vocab[1] = "<unk>"``); empty for raw texts.
    """

    classes: tuple[str, ...] = IMDB_CLASSES
    vocab: list[str] | None = None

    def decode(self, ids: ArrayLike) -> str:
        """The words of one row of ids, padding left out: ``split.decode(split.X_train[0])``."""
        if not self.vocab:
            raise ValueError("ids: this split holds raw texts, there is no vocabulary to decode with")
        return " ".join(self.vocab[i] for i in np.asarray(ids).reshape(-1) if i != PAD)

    def __repr__(self) -> str:
        kind = "raw texts" if not self.vocab else f"ids {np.shape(self.X_train)[1:]}, vocab={len(self.vocab)}"
        return f"TextSplit(train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, {kind})"


def _check_val_size(val_size, n_train: int | None = None) -> float | int:
    """An int count or a fraction in [0, 1), like sklearn's ``train_test_split(test_size=...)``."""
    try:
        if isinstance(val_size, (float, np.floating)):
            return check_fraction(val_size, "val_size")
        count = check_int(val_size, "val_size", minimum=0)
    except ValueError:
        raise ValueError(f"val_size: expected a count (int >= 0) or a fraction in [0, 1), got {val_size!r}") from None
    if n_train is not None and count >= n_train:
        raise ValueError(f"val_size: expected fewer than the {n_train} training examples, got {count}")
    return count


def _check_common(val_size, rng, data_home) -> np.random.Generator:
    """Validate the arguments every loader takes before anything is downloaded; return the generator."""
    _check_val_size(val_size)
    cache_dir(data_home)
    return check_rng(rng)


def _split_indices(n: int, val_size, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle 0..n-1 with ``rng`` and cut off ``val_size`` (count or fraction) for validation."""
    val_size = _check_val_size(val_size, n)
    n_val = int(round(val_size * n)) if isinstance(val_size, float) else val_size
    order = rng.permutation(n)
    return order[n_val:], order[:n_val]


def _image_split(X_train, y_train, X_test, y_test, classes, val_size, rng) -> ImageSplit:
    train, val = _split_indices(len(y_train), val_size, rng)
    return ImageSplit(
        X_train[train], y_train[train], X_train[val], y_train[val], X_test, y_test, classes=tuple(classes)
    )


def _load_idx_set(name: str, classes, val_size, rng, data_home) -> ImageSplit:
    rng = _check_common(val_size, rng, data_home)
    source = get_source(name)
    paths = {}
    for f in source.files:  # every file, before any parsing
        paths[f] = fetch(source, f, data_home)
    arrays = {}
    for part, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])  # (N, 28, 28) uint8
        labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])  # (N,) uint8
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels) or images.dtype != np.uint8:
            raise ValueError(
                f"{source.title} {part}: expected (N, H, W) uint8 images and (N,) labels, got "
                f"{images.shape} {images.dtype} and {labels.shape}"
            )
        arrays[part] = images[:, None], labels.astype(np.int64)  # (N, 1, 28, 28) NCHW: a view, no copy
    return _image_split(*arrays["train"], *arrays["test"], classes, val_size, rng)


def load_mnist(val_size: int | float = 5000, rng: Seed = 0, *, data_home: StrPath | None = None) -> ImageSplit:
    """MNIST's handwritten digits (LeCun et al., 1998): 60,000 training and 10,000 test images.

    Parameters
    ----------
    val_size : training images held out for validation, a count or a fraction (default 5,000: 55,000 train)
    rng : np.random.Generator or int seed drawing the validation images (same seed, same split)
    data_home : cache folder (default ``$DLCOURSE_DATA`` or ``pooch.os_cache("dlcourse")``)

    Returns
    -------
    ImageSplit with X_train (60000 - val, 1, 28, 28) uint8, X_test (10000, 1, 28, 28) uint8 in the official
    order, y arrays int64 in 0..9, ``classes`` "0".."9".

    Raises
    ------
    DatasetUnavailable when the files cannot be downloaded (the message says where to put them by hand).
    """
    return _load_idx_set("mnist", MNIST_CLASSES, val_size, rng, data_home)


def load_fashion_mnist(val_size: int | float = 5000, rng: Seed = 0, *, data_home: StrPath | None = None) -> ImageSplit:
    """Zalando's Fashion-MNIST (Xiao et al., 2017): MNIST's format and sizes, ten kinds of clothing.

    Same parameters and shapes as ``load_mnist``; ``classes`` are torchvision's names ("T-shirt/top", ...).
    """
    return _load_idx_set("fashion_mnist", FASHION_MNIST_CLASSES, val_size, rng, data_home)


def load_cifar10(val_size: int | float = 5000, rng: Seed = 0, *, data_home: StrPath | None = None) -> ImageSplit:
    """CIFAR-10 (Krizhevsky, 2009): 50,000 training and 10,000 test colour photos, 32x32, ten classes.

    Parameters as ``load_mnist``. Returns an ImageSplit with X_train (50000 - val, 3, 32, 32) uint8 (RGB),
    X_test (10000, 3, 32, 32) uint8 in the official order, y int64 in 0..9, ``classes`` from the archive's
    ``batches.meta`` ("airplane", "automobile", ...). Reading the 170 MB archive takes a few seconds.
    """
    rng = _check_common(val_size, rng, data_home)
    parts = read_cifar10_tar(fetch("cifar10", "cifar-10-python.tar.gz", data_home))
    return _image_split(
        parts["X_train"], parts["y_train"], parts["X_test"], parts["y_test"], parts["classes"], val_size, rng
    )


def load_imdb(
    num_words: int | None = 10000,
    maxlen: int = 200,
    val_size: int | float = 5000,
    rng: Seed = 0,
    *,
    raw: bool = False,
    data_home: StrPath | None = None,
) -> TextSplit:
    """The IMDB movie reviews (Maas et al., 2011): 25,000 training and 25,000 test reviews, labelled neg/pos.

    Each review is tokenised by ``dlcourse.data.text.tokenize`` (lower-case, ``<br />`` removed, split on
    everything that is not a letter) and mapped to ids by a vocabulary built from the training part only
    (after the validation reviews are set aside, so nothing leaks): 0 pads, 1 stands for words outside the
    vocabulary, then words by decreasing frequency. Rows are padded or truncated to ``maxlen`` ids like
    ``keras.utils.pad_sequences`` with its defaults: zeros in front of short reviews, long reviews keep
    their last ``maxlen`` words.

    Parameters
    ----------
    num_words : vocabulary size including the two reserved ids (every id < num_words); None keeps all words
    maxlen : ids per review
    val_size : training reviews held out for validation, a count or a fraction
    rng : np.random.Generator or int seed; draws the validation reviews and shuffles every part (the
        archive stores all negative reviews before the positive ones)
    raw : return the review texts (lists of str) instead of ids, with an empty vocabulary
    data_home : cache folder

    Returns
    -------
    TextSplit with X arrays (N, maxlen) int64 (or lists of N str), y (N,) int64 with 0 = neg, 1 = pos,
    ``vocab`` (list of str, ``vocab[i]`` is the word with id i) and ``classes`` ("neg", "pos").

    Reading the archive's 100,000 small files and tokenising 50,000 reviews takes some 15-20 s.
    """
    rng = _check_common(val_size, rng, data_home)
    check_bool(raw, "raw")
    if not raw:  # validate before a long download
        build_vocab([], num_words)
        pad_sequences([], maxlen)
    parts = read_imdb_tar(fetch("imdb", "aclImdb_v1.tar.gz", data_home))
    (train_texts, y_train), (test_texts, y_test) = parts["train"], parts["test"]
    train, val = _split_indices(len(y_train), val_size, rng)
    test = rng.permutation(len(y_test))
    texts = {
        "train": [train_texts[i] for i in train],
        "val": [train_texts[i] for i in val],
        "test": [test_texts[i] for i in test],
    }
    labels = {"train": y_train[train], "val": y_train[val], "test": y_test[test]}
    if raw:
        return TextSplit(
            texts["train"], labels["train"], texts["val"], labels["val"], texts["test"], labels["test"], vocab=[]
        )
    vocab = build_vocab(texts["train"], num_words)
    index = {word: i for i, word in enumerate(vocab)}
    ids = {part: pad_sequences([encode(t, index) for t in texts[part]], maxlen) for part in texts}
    return TextSplit(ids["train"], labels["train"], ids["val"], labels["val"], ids["test"], labels["test"], vocab=vocab)


LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist, "cifar10": load_cifar10}


def digits_as_images(rng: Seed = 0) -> ImageSplit:
    """scikit-learn's digits in the image loaders' layout: (N, 1, 8, 8) uint8 in 0..255, classes "0".."9"."""
    split = load_digits(rng=rng, images=True)  # float64 in [0, 1], from pixel values 0..16
    to_uint8 = lambda X: np.round(X * 255).astype(np.uint8)  # noqa: E731
    return ImageSplit(
        to_uint8(split.X_train),
        split.y_train,
        to_uint8(split.X_val),
        split.y_val,
        to_uint8(split.X_test),
        split.y_test,
        classes=MNIST_CLASSES,
    )


def load_or_digits(name: str, **kwargs: Any) -> tuple[ImageSplit, str]:
    """Load an image data set by name, or scikit-learn's digits when it cannot be downloaded.

    Parameters
    ----------
    name : "mnist", "fashion_mnist" or "cifar10" (IMDB is text: digits cannot stand in for it)
    **kwargs : passed to the loader (``val_size``, ``rng``, ``data_home``); the fallback uses ``rng`` and
        ``load_digits``' own fractions

    Returns
    -------
    (split, name_loaded) : name_loaded is ``name`` or ``"digits"``. Both are ImageSplits with uint8 NCHW
    images in 0..255, so the same code runs on either; use ``X.shape[1:]`` for the image size and channels.
    On fallback one line says why and how to see the full message.
    """
    loader = LOADERS[check_choice(name, "name", sorted(LOADERS))]
    try:
        return loader(**kwargs), name
    except DatasetUnavailable as exc:
        reason = str(exc).splitlines()[0].rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        print(
            f"{get_source(name).title} unavailable ({reason}): using scikit-learn's digits instead "
            f"(8x8, uint8 NCHW); run dlcourse.data.{loader.__name__}() for the full message."
        )
    return digits_as_images(kwargs.get("rng", 0)), "digits"


__all__ = [
    "ImageSplit",
    "TextSplit",
    "DatasetUnavailable",
    "load_mnist",
    "load_fashion_mnist",
    "load_cifar10",
    "load_imdb",
    "load_or_digits",
    "digits_as_images",
    "MNIST_CLASSES",
    "FASHION_MNIST_CLASSES",
    "IMDB_CLASSES",
]
