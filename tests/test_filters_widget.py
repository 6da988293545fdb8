"""The filter explorer and chapter 05's figures, driven headlessly: build, set controls, read the result."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from dlcourse.viz import filters
from dlcourse.viz.core import figure_to_png
from dlcourse.viz.filters import KERNELS, FilterExplorer, FilterResult


def assert_picture(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05 and len(np.unique((img.reshape(-1, 3) * 255).astype(np.uint8), axis=0)) > 50


@pytest.fixture(scope="module")
def explorer():
    return FilterExplorer()


def test_default_shows_the_edge_kernel_on_the_photo(explorer):
    r = explorer.result
    assert isinstance(r, FilterResult) and r.kernel_name == "edge" and r.image_name == "china"
    assert r.output.shape == r.image.shape == r.expected_shape  # padding 1, stride 1 keeps the size
    assert_picture(explorer.png)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000


def test_output_is_torch_cross_correlation(explorer):
    r = explorer.result
    expected = torch.nn.functional.conv2d(
        torch.from_numpy(r.image)[None, None], torch.from_numpy(r.kernel)[None, None], padding=1
    )[0, 0].numpy()
    np.testing.assert_allclose(r.output, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 3), (4, 0)])
def test_stride_and_padding_follow_the_output_size_formula(stride, padding):
    w = FilterExplorer(image="digit", kernel="blur")
    w.controls["stride"].value = stride
    w.controls["padding"].value = padding
    r = w.result
    assert r.image.shape == (8, 8)
    assert r.output.shape == r.expected_shape == ((8 + 2 * padding - 3) // stride + 1,) * 2


def test_every_kernel_and_image_can_be_chosen():
    w = FilterExplorer(image="digit")
    for image in filters.IMAGE_NAMES:
        w.controls["image"].value = image
        for name in KERNELS:
            w.controls["kernel"].value = name
            np.testing.assert_array_equal(w.result.kernel, KERNELS[name])
            assert np.all(np.isfinite(w.result.output))
    w.controls["kernel"].value = "identity"
    w.controls["padding"].value = 1
    np.testing.assert_allclose(w.result.output, w.result.image)  # identity with padding 1 copies
    assert_picture(w.png)


def test_custom_kernel_text_and_bad_text():
    w = FilterExplorer(kernel="custom", image="digit", custom="1 2; 3 4")
    np.testing.assert_array_equal(w.result.kernel, [[1.0, 2.0], [3.0, 4.0]])
    w.controls["custom"].value = "1 2; 3"
    assert "rows of equal length" in w.result.error and "rows of equal length" in w.summary(w.result)
    np.testing.assert_array_equal(w.result.kernel, KERNELS["identity"])
    w.controls["custom"].value = "a b"
    assert "expected numbers" in w.result.error


def test_parse_kernel_and_load_image_validate():
    np.testing.assert_array_equal(filters.parse_kernel("0,1\n2,3"), [[0.0, 1.0], [2.0, 3.0]])
    with pytest.raises(ValueError, match="text: expected"):
        filters.parse_kernel("")
    with pytest.raises(ValueError, match="name: expected one of"):
        filters.load_image("lena")
    with pytest.raises(ValueError, match="kernel: expected one of"):
        FilterExplorer(kernel="gauss")
    img = filters.load_image("flower", shrink=8)
    assert img.shape == (427 // 8, 640 // 8) and 0 <= img.min() and img.max() <= 1


def test_figures_have_pictures():
    image = filters.load_image("china", 4)
    assert_picture(figure_to_png(filters.plot_kernel_gallery(image)))
    assert_picture(figure_to_png(filters.plot_conv_arithmetic(5, 3, 2, 1)))
    rng = np.random.default_rng(0)
    assert_picture(figure_to_png(filters.plot_filters(rng.standard_normal((10, 1, 3, 3)))))
    assert_picture(figure_to_png(filters.plot_feature_maps(image, rng.random((6, 20, 30)))))
    with pytest.raises(ValueError, match="weight: expected shape"):
        filters.plot_filters(np.zeros((3, 3)))
