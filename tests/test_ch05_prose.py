"""Chapter 05's text against the code: every number its prose quotes is recomputed here with dlcourse and PyTorch
(run-dependent numbers, training results, timings and benchmark ratios, are printed by the notebook's own cells
instead), and the corrections the chapter owes its sources are there."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import data, nn
from dlcourse import functional as F
from dlcourse.data import colour_digits, downloads
from dlcourse.viz import filters

TEXT = chapter_markdown("05")
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "callout",
    [
        "Correction (source 004 §2.1 and §3.2.1)",  # structured data
        "Correction (source 004 §3.2.1)",  # cross-correlation; equivariance vs invariance
        "Correction (source 004 §3.2.2)",  # pooling formula
        "Correction (source 003 §4)",  # input_shape=
        "Correction (source 000 §4.2)",
        "Correction (source 001 §4.4)",
        "Correction (source 001, references [7], [25], [42])",
        "Correction (source 001, references [14], [32], [49])",
    ],
)
def test_the_corrections_are_there(callout):
    assert f"> **{callout}.**" in TEXT


def test_structured_data_is_not_what_images_are_called():
    assert "| structured data (images, video) | 结构化数据 |" not in TEXT
    assert "| grid-structured data (images, video) | 网格结构数据 |" in TEXT
    assert "非结构化数据" in TEXT


# ------------------------------------------------------------------------------------------ sections 1-3
def test_counting_weights():
    numbers = quoted_number(TEXT, r"A 224 × 224 colour photo has " + NUMBER + " numbers")
    assert numbers == 224 * 224 * 3
    assert quoted_number(TEXT, r"with 1,000 units needs " + NUMBER + " million weights") == round(
        numbers * 1000 / 1e6, -1
    )
    assert (
        quoted_number(TEXT, r"A 3 × 3 kernel over a colour image has " + NUMBER + " weights")
        == nn.Conv2d(3, 1, 3, rng=0).params["weight"].size
    )


def test_the_photo_and_the_kernel_gallery():
    photo = filters.load_image("china", shrink=2)
    assert quoted_number(TEXT, r"shrunk to " + NUMBER + r" × 320 pixels") == photo.shape[0] and photo.shape[1] == 320
    import inspect

    default_names = inspect.signature(filters.plot_kernel_gallery).parameters["names"].default
    assert "under seven classic 3 × 3 kernels" in TEXT and len(default_names) == 7


def test_output_size_examples():
    assert quoted_number(TEXT, r"\$H' = \\lfloor 5/2 \\rfloor \+ 1 = " + NUMBER + r"\$") == F.conv_output_size(
        8, 3, 2, 0
    )
    out = torch.nn.functional.conv2d(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 3, 3), stride=2)
    assert out.shape[-1] == 3
    six = quoted_number(TEXT, r"a 3 × 3 kernel: a " + NUMBER + r" × \d+ and a \d+ × \d+ output")
    twelve = quoted_number(TEXT, r"a 3 × 3 kernel: a \d+ × \d+ and a " + NUMBER + r" × \d+ output")
    assert (six, twelve) == (F.conv_output_size(8, 3, 1, 0), F.conv_output_size(8, 3, 1, 3))
    assert "(the weights sum to 25)" in TEXT and np.ones((5, 5)).sum() == 25


def test_page_size():
    assert "a page fault per 4 KiB" in TEXT
    if hasattr(os, "sysconf"):
        assert os.sysconf("SC_PAGE_SIZE") == 4096


# ------------------------------------------------------------------------------------------ sections 5-6
def test_the_chapter_prints_the_readable_kernels_whole():
    """The loop version, unfold, fold and the forward/backward pair, each whole with show_source (nothing private,
    no source sliced at a marker); the pair is short enough to read."""
    from dlcourse.source import source_text

    code = "\n".join(chapter_cells("05", "code"))
    for name in ("conv2d_naive", "unfold", "conv2d_forward", "fold", "conv2d_backward"):
        assert f"show_source(F.{name})\n" in code, name
    assert "getsource" not in code and "import inspect" not in code and "show_source(fast_conv" not in code
    # conv2d_forward's annotated signature wraps over three lines
    for fn, most in ((F.conv2d_forward, 13), (F.conv2d_backward, 12), (F.unfold, 12), (F.fold, 14)):
        assert len(source_text(fn, docstring=False).splitlines()) <= most, fn.__name__


def test_the_fast_kernel_is_explained():
    from dlcourse.fast import conv as fast_conv

    for point in (
        "**Threads per batch slice.**",
        "**Scratch memory reused between steps.**",
        "**No padded copy.**",
        "**The same-convolution shortcut.**",
    ):
        assert point in TEXT
    assert (
        "nine copies of the input for a 3 × 3 kernel" in TEXT
        and F.unfold(np.zeros((1, 1, 5, 5)), 3, padding=1).shape[1] == 9
    )
    # offset (u, v) of a same convolution reads pixel p + (u - p_h) W + (v - p_w) of the flattened image
    assert "a shift by $(u - p)W + (v - p)$ pixels" in TEXT
    H, W, p = 5, 7, (1, 1)
    assert all(fast_conv._flat_shift(u, v, p, H, W)[0] == (u - 1) * W + (v - 1) for u in range(3) for v in range(3))
    assert "a factor of up to about 2" in TEXT and "the three matrix products alone" in TEXT


# ------------------------------------------------------------------------------------------ section 8
def _receptive_field(layers):
    r, j = 1, 1
    for kernel, stride in layers:
        r, j = r + (kernel - 1) * j, j * stride
    return r


def test_receptive_fields():
    assert "two stacked 3 × 3 convolutions see 5 × 5 pixels with 18 weights per channel pair instead of 25" in TEXT
    assert _receptive_field([(3, 1), (3, 1)]) == 5 and 2 * 3 * 3 == 18 and 5 * 5 == 25
    patch = quoted_number(TEXT, r"sees an " + NUMBER + r" × \d+ patch of a 28 × 28 digit")
    assert patch == _receptive_field([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)])
    two = nn.Sequential(nn.Conv2d(1, 1, 3, rng=0), nn.Conv2d(1, 1, 3, rng=1))
    out = two(np.zeros((1, 1, 11, 11)))
    select = np.zeros_like(out)
    select[0, 0, 3, 3] = 1.0
    rows, cols = np.nonzero(two.backward(select)[0, 0])
    assert rows.max() - rows.min() + 1 == 5 and cols.max() - cols.min() + 1 == 5


# ------------------------------------------------------------------------------------------ section 9
def test_digits_cnn_table():
    rows = {
        "Conv2d(1, 16, 3, padding=1)": nn.Conv2d(1, 16, 3, padding=1, rng=0),
        "Conv2d(16, 32, 3, padding=1)": nn.Conv2d(16, 32, 3, padding=1, rng=0),
        "Linear(512, 64)": nn.Linear(512, 64, rng=0),
        "Linear(64, 10)": nn.Linear(64, 10, rng=0),
    }
    for name, layer in rows.items():
        quoted = quoted_number(
            TEXT,
            r"\| "
            + name.replace("(", r"\(").replace(")", r"\)")
            + r"(?: \+ ReLU)? \| [^|]+ \| (?:[^|=]*= )?"
            + NUMBER
            + r" \|",
        )
        assert quoted == sum(p.size for p in layer.params.values()), name
    assert "| Flatten | (N, 512) | 0 |" in TEXT and 32 * 4 * 4 == 512


def test_digits_sizes():
    digits = data.load_digits(images=True)
    assert quoted_number(TEXT, r"validation data, " + NUMBER + " images") == len(digits.y_train) + len(digits.y_val)
    assert quoted_number(TEXT, r"With " + NUMBER + r" test images, every mistake") == len(digits.y_test)
    assert quoted_number(TEXT, r"every mistake\s+costs " + NUMBER + " percentage points") == round(
        100 / len(digits.y_test), 2
    )


# ------------------------------------------------------------------------------------------ section 10
def _source003(channels=1, size=28):
    after = F.conv_output_size(F.conv_output_size(size, 3), 2, stride=2)
    return torch.nn.Sequential(
        torch.nn.Conv2d(channels, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * after * after, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )


def _source000():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(64, 64, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(576, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )


def _source001():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(2304, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )


def test_source003_model_counts():
    model = _source003()
    total = quoted_number(TEXT, NUMBER + r" parameters, 99\.8% of them in the first Dense layer")
    assert total == count(model)
    assert quoted_number(TEXT, r"parameters, " + NUMBER + r"% of them in the first Dense layer") == round(
        100 * count(model[4]) / total, 1
    )
    assert quoted_number(TEXT, r"13 × 13 × 32 = " + NUMBER + " pooled") == model[4].in_features == 13 * 13 * 32
    assert quoted_number(TEXT, r"The convolution itself has only " + NUMBER) == count(model[0])
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_mnist_download_size_and_digits_batches():
    size = sum(f.size for f in downloads.SOURCES["mnist"].files.values()) / 1e6
    assert quoted_number(TEXT, r"`dlcourse\.data\.load_mnist\(\)`, about " + NUMBER + " MB") == round(size, 1)
    digits = data.datasets.digits_as_images(0)
    assert "with ten batches per epoch" in TEXT and -(-len(digits.y_train) // 128) == 10


def test_source000_model_counts():
    model = _source000()
    total = quoted_number(TEXT, NUMBER + r" parameters, seven times fewer")
    assert total == count(model) and int(count(_source003()) / total) == 7
    assert "11 rows make five 2 × 2 windows" in TEXT and F.conv_output_size(11, 2, 2) == 5
    with torch.no_grad():
        assert model[:7](torch.zeros(1, 1, 28, 28)).shape == (1, 64, 3, 3)


def test_source001_model_counts():
    model = _source001()
    total = quoted_number(TEXT, NUMBER + r" parameters, 93% of them again")
    assert total == count(model)
    assert quoted_number(TEXT, r"parameters, " + NUMBER + r"% of them again in the first Dense layer") == round(
        100 * count(model[7]) / total
    )
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


def test_cifar10_numbers():
    size = downloads.SOURCES["cifar10"].files["cifar-10-python.tar.gz"].size
    assert quoted_number(TEXT, r"CIFAR-10 is a " + NUMBER + r" MB download") == round(size / 1e6)
    low, high = colour_digits.DIGIT_HEIGHT
    assert f"enlarged to {low:.0f}–{high:.0f}" in TEXT
    gigabytes = quoted_number(TEXT, r"the float32 copies of the images need about " + NUMBER + " GB")
    assert gigabytes == round((50_000 + 10_000) * 3 * 32 * 32 * 4 / 1e9, 2)
    assert "65–70" not in TEXT and "65-70" not in TEXT  # an accuracy never measured here


def test_exercise_descriptions_match_what_the_checks_do():
    from exercise_runs import check_outputs

    printed = check_outputs("05")
    assert "actually produces, in sixteen cases" in TEXT and "in 16 cases" in printed["output-size"]
    assert "on six cases" in TEXT and "in 6 cases" in printed["conv2d"]
    assert "`unfold` on five cases" in TEXT and "in 5 cases" in printed["im2col"]
    assert all(line.startswith("✔") for line in printed.values())
    assert "(9 times for a 3 × 3 kernel)" in TEXT and F.unfold(np.zeros((1, 1, 5, 5)), (3, 3), padding=1).shape[1] == 9
