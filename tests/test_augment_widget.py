"""The augmentation explorer and chapter 06's figures, driven headlessly: build, set controls, read the result."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse import augment as A
from dlcourse import data, preprocess
from dlcourse.viz import augment_plots, figure_to_png
from dlcourse.viz.augment_explorer import (
    DEFAULTS,
    N_DIGITS,
    N_PHOTOS,
    N_ROWS,
    TRANSFORM_NAMES,
    AugmentationExplorer,
    ExplorerResult,
    explore,
    make_transform,
)


def assert_not_blank(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    colours = np.unique((img.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert img.std() > 0.05 and len(colours) > 50, "the figure looks blank"


@pytest.fixture(scope="module")
def explorer():
    return AugmentationExplorer()


def test_default_picture(explorer):
    r = explorer.result
    assert isinstance(r, ExplorerResult) and r.params == {**DEFAULTS, "strength": pytest.approx(0.5)}
    assert r.digits_before.shape == (N_DIGITS, 1, 8, 8)
    assert r.digits_after.shape == (N_ROWS, N_DIGITS, 1, 8, 8)
    assert r.photo_after.shape == (N_PHOTOS,) + r.photo_before.shape[1:]
    assert isinstance(r.transform, A.RandomRotation) and r.transform.degrees == (-22.5, 22.5)
    assert 0 < r.changed_fraction < 1
    assert_not_blank(explorer.png)
    assert "rotation at strength 0.50" in explorer.summary(r)


def test_display_offers_the_widget_and_its_png(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert len(bundle["image/png"]) > 1000


@pytest.mark.parametrize("name", TRANSFORM_NAMES)
def test_every_transform_changes_something_at_full_strength_and_nothing_at_zero(name):
    strong, none = explore(name, 1.0), explore(name, 0.0)
    assert strong.changed_fraction > 0, name
    assert none.changed_fraction == 0, name
    assert np.array_equal(none.photo_after, np.repeat(none.photo_before, N_PHOTOS, axis=0)), name
    for r in (strong, none):
        assert r.digits_after.dtype == np.float64 and 0 <= r.digits_after.min() and r.digits_after.max() <= 1


def test_controls_update_the_result_and_the_picture():
    w = AugmentationExplorer(transform="shift", seed=3)
    first = w.png
    w.controls["transform"].value = "salt and pepper"
    assert w.result.params["transform"] == "salt and pepper"
    assert isinstance(w.result.transform, A.SaltAndPepperNoise)
    assert w.png != first
    w.controls["strength"].value = 1.0
    assert w.result.transform.amount == pytest.approx(0.3)
    w.controls["seed"].value = 4
    assert w.result.params["seed"] == 4


def test_same_settings_same_pictures_and_seeds_differ():
    a, b, c = explore("zoom", 0.7, seed=1), explore("zoom", 0.7, seed=1), explore("zoom", 0.7, seed=2)
    assert np.array_equal(a.digits_after, b.digits_after) and np.array_equal(a.photo_after, b.photo_after)
    assert not np.array_equal(a.digits_after, c.digits_after)


def test_nearest_interpolation_keeps_the_digit_values():
    r = explore("rotation", 1.0, interpolation="nearest")
    assert np.all(np.isin(r.digits_after, np.append(np.unique(r.digits_before), 0.0)))


def test_strength_maps_onto_each_transform():
    shape = (8, 1, 8, 8)
    assert make_transform("rotation", 0.4, shape).degrees == pytest.approx((-18.0, 18.0))
    assert make_transform("horizontal flip", 0.3, shape).p == pytest.approx(0.3)
    assert make_transform("zoom", 0.5, shape).scale == pytest.approx((0.8, 1.2))
    assert make_transform("random crop", 1.0, shape).padding == (2, 2, 2, 2)
    assert make_transform("cutout", 1.0, shape).size == (4, 4)
    assert isinstance(make_transform("all combined", 0.5, shape), A.Compose)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="blur", strength=0.5, shape=(1, 1, 8, 8)), "name: expected one of"),
        (dict(name="rotation", strength=1.5, shape=(1, 1, 8, 8)), "strength: expected a number in"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_transform(**kwargs)
    with pytest.raises(ValueError, match="unknown settings"):
        AugmentationExplorer(colour="red")


# -------------------------------------------------------------------------------------------------- figures
def test_chapter_figures_draw_something():
    digits = data.load_digits()
    pca = preprocess.PCA().fit(digits.X_train)
    rng = np.random.default_rng(0)
    cloud = rng.standard_normal((200, 2)) @ np.array([[2.0, 0.0], [1.2, 0.6]])
    X = rng.random((30, 4)) * np.array([1.0, 10.0, 100.0, 1000.0])
    scaled = {"standardised": preprocess.StandardScaler().fit_transform(X)}
    photo = A.load_sample_photo(factor=16)
    imgs = data.load_digits(images=True).X_test[:5]
    figures = [
        augment_plots.feature_scales_figure(X, scaled, ["a", "b", "c", "d"]),
        augment_plots.learning_rate_sweep_figure({"raw": [1.0, 0.9], "standardised": [0.5, 0.1]}, [0.01, 0.1]),
        augment_plots.pca_whitening_figure(cloud),
        augment_plots.eigen_digits_figure(pca, n=6),
        augment_plots.reconstruction_figure(digits.X_test, pca, ks=(1, 5, 20), n=3),
        augment_plots.whitened_digits_figure(
            digits.X_test, preprocess.ZCA(0.01).fit(digits.X_train).transform(digits.X_test), n=4
        ),
        augment_plots.inverse_mapping_figure((8, 8), 30),
        augment_plots.transform_gallery_figure(imgs, photo, {"rotate": A.RandomRotation(30)}, rng, n_digits=3),
        augment_plots.experiment_figure({"test": {"none": [0.8, 0.85, 0.9], "aug": [0.82, 0.86, 0.88]}}),
    ]
    for fig in figures:
        png = figure_to_png(fig)
        assert len(png) > 5000
