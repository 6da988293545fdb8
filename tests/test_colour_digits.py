"""dlcourse.data.colour_digits: the offline CIFAR-10-shaped stand-in, and the loader preferring a cached CIFAR-10."""

from __future__ import annotations

import numpy as np
import pytest
from http_server import CIFAR_CLASSES, make_cifar10, refused_url, sha256

from dlcourse import data
from dlcourse.data import colour_digits, downloads
from dlcourse.data.downloads import DATA_ENV, RemoteFile, Source


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(DATA_ENV, str(folder))
    return folder


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to download."""

    def refuse(*args, **kwargs):
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(downloads, "fetch", refuse)
    monkeypatch.setattr(data.datasets, "fetch", refuse)


def test_split_has_cifar10s_format():
    split = colour_digits.make_colour_digits(n_train=50, n_val=10, n_test=20, rng=0)
    for part, n in [("train", 50), ("val", 10), ("test", 20)]:
        X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
        assert X.shape == (n, 3, 32, 32) and X.dtype == np.uint8
        assert y.shape == (n,) and y.dtype == np.int64 and set(y) <= set(range(10))
    assert split.classes == tuple(str(d) for d in range(10))
    assert split.X_train.min() < 40 and split.X_train.max() > 200  # uses the whole 0..255 range


def test_same_seed_same_images_and_other_seed_other_images():
    a = colour_digits.make_colour_digits(30, 0, 10, rng=3)
    b = colour_digits.make_colour_digits(30, 0, 10, rng=np.random.default_rng(3))
    c = colour_digits.make_colour_digits(30, 0, 10, rng=4)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_parts_come_from_the_digits_own_splits_and_classes_are_balanced():
    split = colour_digits.make_colour_digits(n_train=1169, n_val=0, n_test=359, rng=0)
    digits = data.load_digits(images=True, rng=np.random.default_rng(0))
    # each training digit used exactly once when n_train equals the digits' training split: same label counts
    assert np.array_equal(np.bincount(split.y_train, minlength=10), np.bincount(digits.y_train, minlength=10))
    assert np.array_equal(np.bincount(split.y_test, minlength=10), np.bincount(digits.y_test, minlength=10))
    assert len(split.y_val) == 0 and split.X_val.shape == (0, 3, 32, 32)


def test_render_puts_the_digit_in_ink_brighter_than_the_background():
    blank = np.zeros((4, 8, 8))
    bar = blank.copy()
    bar[:, 1:7, 3:5] = 1.0  # a vertical stroke
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    empty = colour_digits.render_colour_digits(blank, rng_a).astype(float)
    inked = colour_digits.render_colour_digits(bar, rng_b).astype(float)  # same draws: only the ink differs
    luma = np.array([0.299, 0.587, 0.114])[None, :, None, None]
    change = ((inked - empty) * luma).sum(axis=1)  # (4, 32, 32)
    assert np.all(change.max(axis=(1, 2)) > 0.2 * 255)  # the stroke is clearly brighter
    assert np.all(np.abs(change).mean(axis=(1, 2)) < 0.2 * 255)  # ... and covers a small part


@pytest.mark.parametrize(
    "kwargs, name",
    [({"n_train": -1}, "n_train"), ({"n_test": 1.5}, "n_test"), ({"n_val": True}, "n_val"), ({"size": 20}, "size")],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        colour_digits.make_colour_digits(**kwargs)


def test_render_rejects_bad_digits():
    with pytest.raises(ValueError, match="digits"):
        colour_digits.render_colour_digits(np.zeros((2, 28, 28)), 0)
    with pytest.raises(ValueError, match="digits"):
        colour_digits.render_colour_digits(np.full((2, 8, 8), 2.0), 0)


def test_offline_without_cache_uses_the_stand_in_and_no_network(no_network, capsys):
    split, name = data.load_cifar10_or_colour_digits(n_train=20, n_test=10, rng=0)
    assert name == "colour digits"
    assert split.X_train.shape == (20, 3, 32, 32) and split.X_test.shape == (10, 3, 32, 32)
    out = capsys.readouterr().out
    assert "not in the cache" in out and "download=True" in out and "stand-in" in out


def test_cached_cifar10_is_used_without_network(cache, monkeypatch, capsys):
    images, labels, archive = make_cifar10(per_batch=4, n_test=6)
    folder = cache / "cifar10"
    folder.mkdir(parents=True)
    (folder / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setitem(
        downloads.SOURCES,
        "cifar10",
        Source(
            "cifar10",
            "CIFAR-10",
            (refused_url(),),
            {"cifar-10-python.tar.gz": RemoteFile(sha256(archive), len(archive))},
        ),
    )
    assert colour_digits.cifar10_cached()
    split, name = data.load_cifar10_or_colour_digits(n_train=5, n_test=4, rng=0)
    assert name == "cifar10" and split.classes == tuple(CIFAR_CLASSES)
    assert split.X_train.shape == (5, 3, 32, 32) and split.X_test.shape == (4, 3, 32, 32)
    every_train = np.concatenate([images[f"data_batch_{i}"] for i in range(1, 6)])
    assert all(any(np.array_equal(x, t) for t in every_train) for x in split.X_train)  # real CIFAR images
    assert all(any(np.array_equal(x, t) for t in images["test_batch"]) for x in split.X_test)
    whole, _ = data.load_cifar10_or_colour_digits(n_train=None, n_test=None, rng=0)
    assert len(whole.y_train) == 20 and len(whole.y_test) == 6  # None keeps everything
    assert "CIFAR-10:" in capsys.readouterr().out


def test_a_failed_download_falls_back_with_the_reason(monkeypatch, capsys):
    monkeypatch.setitem(
        downloads.SOURCES,
        "cifar10",
        Source("cifar10", "CIFAR-10", (refused_url(),), {"cifar-10-python.tar.gz": RemoteFile("ab" * 32, 1234)}),
    )
    split, name = data.load_cifar10_or_colour_digits(n_train=10, n_test=5, download=True, rng=0)
    assert name == "colour digits" and len(split.y_train) == 10
    assert "could not download" in capsys.readouterr().out.lower()


def test_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match="download"):
        data.load_cifar10_or_colour_digits(download="yes")
    with pytest.raises(ValueError, match="n_train"):
        data.load_cifar10_or_colour_digits(n_train=-5)


def test_image_grid_figure_draws_one_titled_panel_per_image():
    from dlcourse.viz.image_grid import image_grid_figure

    split = colour_digits.make_colour_digits(12, 0, 0, rng=0)
    fig = image_grid_figure(split.X_train, split.y_train, split.classes, columns=5, title="stand-in")
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == [split.classes[k] for k in split.y_train]
    assert len(fig.axes) == 15  # 3 rows of 5, 3 panels blank
    with pytest.raises(ValueError, match="images"):
        image_grid_figure(np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match="labels"):
        image_grid_figure(split.X_train, split.y_train[:3])
