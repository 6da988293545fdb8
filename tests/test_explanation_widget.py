"""Chapter 12's explanation explorer, driven headlessly: build, set the controls, and check that the result is what
dlcourse.interpret computes for that image and method, and the prediction the model's."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse import interpret, nn
from dlcourse.viz.explanations import METHODS, Explanation, ExplanationExplorer


def assert_picture(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05


def cnn(in_channels: int = 1) -> nn.Sequential:
    rng = np.random.default_rng(0)
    return nn.Sequential(
        nn.Conv2d(in_channels, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3, rng=rng),
    ).eval()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return cnn(), rng.normal(size=(4, 1, 8, 8)), np.array([0, 1, 2, 1])


@pytest.fixture(scope="module")
def explorer(data):
    model, images, labels = data
    return ExplanationExplorer(model, images, labels, ["cat", "dog", "fox"])


def test_default_is_the_saliency_of_the_first_image(explorer, data):
    model, images, labels = data
    r = explorer.result
    assert isinstance(r, Explanation) and r.index == 0 and r.method == "saliency" and r.label == 0
    scores = model(images[:1])[0]
    assert r.predicted == int(np.argmax(scores))
    np.testing.assert_allclose(r.probs, np.exp(scores) / np.exp(scores).sum(), rtol=1e-14)
    expected = interpret.saliency(model, images[:1], r.predicted, channel_max=True)[0]
    np.testing.assert_array_equal(r.attribution, expected)
    assert_picture(explorer.png)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000
    assert "predicted" in explorer.status.value


def expected_map(model, x, t, method):
    """Each method's map for one image, straight from dlcourse.interpret with the explorer's settings."""
    if method == "saliency":
        return interpret.saliency(model, x, t, channel_max=True)[0]
    if method == "gradient × input":
        return interpret.gradient_x_input(model, x, t)[0].sum(axis=0)
    if method == "SmoothGrad":
        noise = 0.15 * np.ptp(x)
        return interpret.smoothgrad(model, x, t, 20, noise, np.random.default_rng(0), abs=True)[0].max(axis=0)
    if method == "Integrated Gradients":
        return interpret.integrated_gradients(model, x, t, n_steps=32)[0][0].sum(axis=0)
    if method == "occlusion":
        return interpret.occlusion(model, x, t, (1, 2, 2), (1, 1, 1))[0].mean(axis=0)
    return interpret.grad_cam(model, x, t, 2)[0]


def test_every_method_and_image_gives_interprets_map(explorer, data):
    model, images, _ = data
    explorer.controls["index"].value = 2
    x = images[2:3]
    for method in METHODS:
        explorer.controls["method"].value = method
        r = explorer.result
        assert r.method == method and r.index == 2 and r.attribution.shape == (8, 8)
        expected = expected_map(model, x, r.predicted, method)
        np.testing.assert_allclose(r.attribution, expected, rtol=1e-12, atol=1e-14, err_msg=method)
        assert_picture(explorer.png)


def test_colour_images_without_labels_or_names():
    rng = np.random.default_rng(2)
    w = ExplanationExplorer(cnn(3), rng.normal(size=(2, 3, 8, 8)), method="Grad-CAM", index=1)
    assert w.result.label is None and w.result.index == 1 and w.class_names == ["0", "1", "2"]
    assert "right" not in w.status.value and "wrong" not in w.status.value
    assert_picture(w.png)


def test_a_model_without_feature_maps_offers_no_grad_cam():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2, rng=0)).eval()
    w = ExplanationExplorer(model, np.random.default_rng(3).normal(size=(2, 1, 4, 4)))
    assert "Grad-CAM" not in w.controls["method"].options
    with pytest.raises(ValueError, match="method: expected one of"):
        ExplanationExplorer(model, np.ones((2, 1, 4, 4)), method="Grad-CAM")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": nn.Linear(3, 2, rng=0)}, "model: expected a dlcourse.nn.Sequential"),
        ({"images": np.ones((4, 8, 8))}, "images: expected a 4-D array"),
        ({"images": np.ones((0, 1, 8, 8))}, "images: expected at least one image"),
        ({"labels": [0, 1]}, "labels: expected shape (4,)"),
        ({"labels": [0, 1, 2, 3]}, "labels: class indices must lie in [0, 2]"),
        ({"class_names": ["a", "b"]}, "class_names: expected 3 names"),
        ({"index": 4}, "index: expected an integer from 0 to 3"),
        ({"method": "LIME"}, "method: expected one of"),
    ],
)
def test_bad_input_names_the_argument(data, kwargs, message):
    model, images, _ = data
    args = {"model": model, "images": images, **kwargs}
    with pytest.raises(ValueError) as info:
        ExplanationExplorer(**args)
    assert message in str(info.value)
