"""dlcourse.augment: invariants of every transform over hypothesis-drawn batches and parameters; geometry against SciPy
(ndimage, order=1, mode='grid-constant') and PyTorch (affine_grid + grid_sample in float64, as torchvision does)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import ndimage
from strategies import floats, image_batches, scaled_settings, square_image_batches

from dlcourse import augment as A
from dlcourse.augment import functional as AF
from dlcourse.checks import rel_error
from dlcourse.checks import tolerances as tol

seeds = st.integers(0, 2**32 - 1)
angles = st.floats(-180.0, 180.0, allow_nan=False, width=64)
interpolations = st.sampled_from(AF.INTERPOLATIONS)


def rtol_for(x) -> float:
    return tol.FLOAT32_RTOL if x.dtype == np.float32 else tol.REFERENCE_RTOL


def assert_close(got, expected, rtol: float = tol.REFERENCE_RTOL):
    """Relative error against the scale of the images (pixel values are O(1); a blend can cancel to ~0)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    worst = float(np.max(rel_error(got, expected, floor=1.0), initial=0.0))
    assert worst <= rtol, f"relative error {worst:.2e} > {rtol:.0e}"


def every_transform(shape) -> list:
    """One instance of every random transform, with parameters that suit images of ``shape``."""
    h, w = shape[-2:]
    return [
        A.RandomHorizontalFlip(),
        A.RandomVerticalFlip(0.3),
        A.RandomRotation(30),
        A.RandomAffine(20, translate=(0.2, 0.1), scale=(0.8, 1.2), fill=0.5),
        A.RandomAffine(0, interpolation="nearest"),
        A.RandomCrop((h, w), padding=2),
        A.RandomErasing(p=0.7),
        A.Cutout((max(1, h // 2), max(1, w // 3))),
        A.SaltAndPepperNoise(0.2),
        A.GaussianNoise(sigma=0.2),
        A.RandomApply([A.RandomRotation(10)], p=0.5),
        A.Compose([A.RandomRotation(5), A.SaltAndPepperNoise(0.1)]),
    ]


@given(image_batches(), seeds)
@scaled_settings(30)
def test_every_transform_keeps_shape_dtype_range_and_input(x, seed):
    before = x.copy()
    for t in every_transform(x.shape):
        out = t(x, np.random.default_rng(seed))
        assert out.shape == x.shape and out.dtype == x.dtype and np.all(np.isfinite(out)), t
        assert out.min() >= -tol.FLOAT32_RTOL and out.max() <= 1 + tol.FLOAT32_RTOL, t  # images in [0, 1], fills too
        assert np.array_equal(x, before), f"{t} modified its input"


@given(image_batches(min_n=1), seeds)
@scaled_settings(30)
def test_same_generator_state_same_output(x, seed):
    for t in every_transform(x.shape):
        assert np.array_equal(t(x, np.random.default_rng(seed)), t(x, np.random.default_rng(seed))), t
        assert np.array_equal(t(x, seed), t(x, np.random.default_rng(seed))), "an int seeds a generator"


@given(image_batches(min_n=40, max_n=44, min_side=4), seeds)
@scaled_settings(20)
def test_different_seeds_give_different_outputs(x, seed):
    # 40+ images: two seeds flip the same images of a batch with p=0.3 with probability 0.58^40 < 1e-9
    for t in every_transform(x.shape):
        if isinstance(t, A.RandomAffine) and t.degrees == (0.0, 0.0):
            continue  # the identity, whatever the seed
        a, b = t(x, np.random.default_rng(seed)), t(x, np.random.default_rng(seed + 1))
        assert not np.array_equal(a, b), t


@given(st.integers(6, 10), st.integers(5, 9), seeds)
@scaled_settings(20)
def test_each_image_gets_its_own_parameters(n, side, seed):
    # with only 2 images, two cutouts of a 5x5 image land on the same spot by chance about once in 25 draws;
    # with 6 or more, all of them doing so is a one-in-ten-million event
    x = np.repeat(np.random.default_rng(seed).random((1, 1, side, side)), n, axis=0)  # n copies of one image
    for t in (A.RandomRotation(40), A.RandomAffine(0, scale=(0.5, 1.5)), A.Cutout(2), A.SaltAndPepperNoise(0.5)):
        out = t(x, np.random.default_rng(seed))
        assert any(not np.array_equal(out[0], out[i]) for i in range(1, n)), t


@given(image_batches())
@scaled_settings(30)
def test_flips_twice_are_the_identity_and_match_torch_flip(x):
    assert np.array_equal(AF.hflip(AF.hflip(x)), x) and np.array_equal(AF.vflip(AF.vflip(x)), x)
    t = torch.from_numpy(x)
    assert np.array_equal(AF.hflip(x), torch.flip(t, dims=[-1]).numpy())
    assert np.array_equal(AF.vflip(x), torch.flip(t, dims=[-2]).numpy())
    assert np.array_equal(A.RandomHorizontalFlip(p=1.0)(x, 0), AF.hflip(x))
    assert np.array_equal(A.RandomVerticalFlip(p=0.0)(x, 0), x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_flip_frequency_is_p(p, seed):
    # fixed seeds: a statistical bound checked on fresh draws at every run would fail now and then by chance
    x = np.random.default_rng(seed).random((2000, 1, 2, 3))
    out = A.RandomHorizontalFlip(p)(x, np.random.default_rng(seed))
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3)))
    assert abs(flipped.mean() - p) <= tol.STAT_SIGMAS * math.sqrt(p * (1 - p) / len(x))


@given(square_image_batches(), interpolations, st.sampled_from([(90, 1), (180, 2), (270, 3), (-90, -1), (360, 0)]))
@scaled_settings(30)
def test_rotation_by_multiples_of_90_equals_rot90(x, interpolation, angle_k):
    angle, k = angle_k
    assert np.array_equal(AF.rotate(x, angle, interpolation=interpolation), np.rot90(x, k, axes=(-2, -1)))


@given(image_batches(), interpolations)
@scaled_settings(30)
def test_rotation_by_180_reverses_both_axes_on_any_shape(x, interpolation):
    assert np.array_equal(AF.rotate(x, 180, interpolation=interpolation), x[..., ::-1, ::-1])


@given(image_batches(), angles, floats(0.0, 1.0))
@scaled_settings(40)
def test_rotation_matches_scipy_ndimage(x, angle, fill):
    ours = AF.rotate(x, angle, fill=fill)
    ref = ndimage.rotate(
        x.astype(np.float64), angle, axes=(2, 3), reshape=False, order=1, mode="grid-constant", cval=fill
    )
    assert_close(ours, ref, rtol_for(x))


def torch_affine(x, angle, tx, ty, scale):
    """torchvision's way: an affine grid in normalised coordinates [-1, 1] (align_corners=False) and grid_sample
    with zero padding, in float64. Rotation counter-clockwise by angle, zoom by scale, shift (tx right, ty down)."""
    n, c, h, w = x.shape
    t = math.radians(angle)
    a = np.array([[math.cos(t), -math.sin(t) * h / w], [math.sin(t) * w / h, math.cos(t)]]) / scale  # (x, y) order
    offset = -a @ np.array([2 * tx / w, 2 * ty / h])
    theta = torch.from_numpy(np.hstack([a, offset[:, None]]))[None].expand(n, 2, 3)
    grid = torch.nn.functional.affine_grid(theta, [n, c, h, w], align_corners=False)
    return torch.nn.functional.grid_sample(
        torch.from_numpy(x.astype(np.float64)), grid, mode="bilinear", padding_mode="zeros", align_corners=False
    ).numpy()


@given(image_batches(), angles, floats(-3.0, 3.0), floats(-3.0, 3.0), floats(0.5, 2.0))
@scaled_settings(40)
def test_affine_matches_torch_grid_sample(x, angle, tx, ty, scale):
    ours = AF.affine(x, angle=angle, translate=(tx, ty), scale=scale)
    assert_close(ours, torch_affine(x, angle, tx, ty, scale), rtol_for(x))


@given(image_batches(max_c=3), angles, floats(-3.0, 3.0), floats(-3.0, 3.0), floats(0.5, 2.0), seeds)
@scaled_settings(30)
def test_affine_with_per_channel_fill_matches_scipy_affine_transform(x, angle, tx, ty, scale, seed):
    fill = np.random.default_rng(seed).random(x.shape[1])
    ours = AF.affine(x, angle=angle, translate=(tx, ty), scale=scale, fill=fill)
    h, w = x.shape[-2:]
    t = math.radians(angle)
    m = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]]) / scale  # (row, col) order
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    offset = centre - m @ (centre + np.array([ty, tx]))
    ref = np.stack(
        [
            np.stack(
                [
                    ndimage.affine_transform(
                        img.astype(np.float64), m, offset, order=1, mode="grid-constant", cval=fill[c]
                    )
                    for c, img in enumerate(image)
                ]
            )
            for image in x
        ]
    )
    assert_close(ours, ref, rtol_for(x))


@given(st.integers(7, 16), st.integers(7, 16), angles, floats(0.0, 0.5), floats(0.0, 0.5), floats(0.0, 6.3))
@scaled_settings(40)
def test_rotation_and_back_is_close_to_identity_in_the_interior(h, w, angle, a, b, phase):
    """Bilinear interpolation of f = sin(a r + b c + phase) errs by at most (a^2 + b^2) / 8 per pass (the bound
    h^2/8 (|f_rr| + |f_cc|) on a unit grid); two passes by twice that, where no source position leaves the image."""
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    x = np.sin(a * rr + b * cc + phase)[None, None]  # (1, 1, H, W), smooth
    back = AF.rotate(AF.rotate(x, angle), -angle)
    radius = (min(h, w) - 1) / 2 - 2
    interior = np.hypot(rr - (h - 1) / 2, cc - (w - 1) / 2) <= radius
    error = np.abs(back - x)[0, 0][interior]
    assert error.max() <= (a * a + b * b) / 4 + tol.REFERENCE_RTOL


@given(image_batches(min_n=2, max_n=4), seeds)
@scaled_settings(30)
def test_per_image_parameters_equal_one_call_per_image(x, seed):
    rng = np.random.default_rng(seed)
    n = len(x)
    angle, tx, ty, s = rng.uniform(-90, 90, n), rng.uniform(-2, 2, n), rng.uniform(-2, 2, n), rng.uniform(0.5, 2, n)
    batch = AF.affine(x, angle=angle, translate=(tx, ty), scale=s)
    single = np.concatenate(
        [AF.affine(x[i : i + 1], angle=angle[i], translate=(tx[i], ty[i]), scale=s[i]) for i in range(n)]
    )
    assert np.array_equal(batch, single)


@given(image_batches(), angles, st.floats(0.5, 2.0))
@scaled_settings(30)
def test_nearest_interpolation_only_copies_pixels_or_fill(x, angle, scale):
    out = AF.affine(x, angle=angle, scale=scale, interpolation="nearest", fill=0.25)
    allowed = np.append(np.unique(x), np.float64(0.25).astype(x.dtype))
    assert np.all(np.isin(out, allowed))


@given(image_batches(), interpolations)
@scaled_settings(30)
def test_rotation_by_zero_shift_by_zero_and_zoom_by_one_are_the_identity(x, interpolation):
    assert np.array_equal(AF.rotate(x, 0.0, interpolation=interpolation), x)
    assert np.array_equal(A.RandomRotation(0)(x, 0), x)
    assert np.array_equal(AF.translate(x, 0, 0, interpolation=interpolation), x)
    assert np.array_equal(AF.zoom(x, 1.0, interpolation=interpolation), x)
    assert np.array_equal(A.RandomAffine(0, translate=(0.0, 0.0), scale=(1.0, 1.0))(x, 0), x)


@given(st.integers(1, 9), st.integers(1, 9), st.data(), interpolations)
@scaled_settings(40)
def test_shift_by_k_pixels_moves_a_delta_by_k(h, w, data, interpolation):
    r, c = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    tx, ty = data.draw(st.integers(-w, w)), data.draw(st.integers(-h, h))
    x = np.zeros((1, 1, h, w))
    x[0, 0, r, c] = 1.0
    expected = np.zeros_like(x)
    if 0 <= r + ty < h and 0 <= c + tx < w:
        expected[0, 0, r + ty, c + tx] = 1.0
    assert np.array_equal(AF.translate(x, tx, ty, interpolation=interpolation), expected)


@given(image_batches(), floats(-4.0, 4.0), floats(-4.0, 4.0), floats(0.0, 1.0))
@scaled_settings(30)
def test_fractional_shift_matches_scipy_shift(x, tx, ty, fill):
    ref = ndimage.shift(x.astype(np.float64), (0, 0, ty, tx), order=1, mode="grid-constant", cval=fill)
    assert_close(AF.translate(x, tx, ty, fill=fill), ref, rtol_for(x))


@given(image_batches(min_n=3, max_n=6), st.floats(0.0, 0.5), st.floats(0.0, 0.5), seeds)
@scaled_settings(30)
def test_random_affine_translates_by_whole_pixels_within_the_range(x, a, b, seed):
    t = A.RandomAffine(0, translate=(a, b))
    params = t.draw(x.shape, np.random.default_rng(seed))
    tx, ty = params["translate"]
    h, w = x.shape[-2:]  # whole pixels, within the range:
    assert np.all(tx == np.round(tx)) and np.all(ty == np.round(ty))
    assert np.all(np.abs(tx) <= round(a * w) + 1e-12) and np.all(np.abs(ty) <= round(b * h) + 1e-12)
    assert np.array_equal(t(x, np.random.default_rng(seed)), AF.affine(x, **params))


@given(image_batches(max_side=8), st.integers(0, 3), st.sampled_from(AF.PADDING_MODES), seeds)
@scaled_settings(30)
def test_random_crop_with_padding_keeps_the_size_and_cuts_a_window_of_the_padded_image(x, p, mode, seed):
    assume(mode in ("constant", "edge", "symmetric") or p < min(x.shape[-2:]))  # reflect needs p < size
    h, w = x.shape[-2:]
    out = A.RandomCrop((h, w), padding=p, padding_mode=mode, fill=0.5)(x, np.random.default_rng(seed))
    assert out.shape == x.shape and out.dtype == x.dtype
    padded = AF.pad(x, p, fill=0.5, padding_mode=mode)
    kwargs = {"constant_values": 0.5} if mode == "constant" else {}  # torchvision's modes are NumPy's
    assert np.array_equal(padded, np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode=mode, **kwargs).astype(x.dtype))
    for i in range(len(x)):
        assert any(
            np.array_equal(out[i], padded[i, :, r : r + h, c : c + w])
            for r in range(2 * p + 1)
            for c in range(2 * p + 1)
        )
    if p == 0:
        assert np.array_equal(out, x)


@given(st.integers(1, 3), seeds)
@scaled_settings(10)
def test_random_crop_uses_every_offset(p, seed):
    # (2p+1)^2 <= 49 equally likely offsets: with 2000 images one is never drawn with probability below
    # 49 * (48/49)^2000 < 1e-16 (with 400 images it was about 1.4% per example: a flaky test)
    x = np.random.default_rng(seed).random((2000, 1, 5, 5))
    out = A.RandomCrop(5, padding=p)(x, np.random.default_rng(seed))
    padded = AF.pad(x, p)
    seen = {
        (r, c)
        for i in range(len(x))
        for r in range(2 * p + 1)
        for c in range(2 * p + 1)
        if np.array_equal(out[i], padded[i, :, r : r + 5, c : c + 5])
    }
    assert seen == {(r, c) for r in range(2 * p + 1) for c in range(2 * p + 1)}


@given(image_batches(min_side=2), seeds)
@scaled_settings(30)
def test_crop_equals_slicing(x, seed):
    rng = np.random.default_rng(seed)
    h, w = x.shape[-2:]
    ch, cw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
    top, left = rng.integers(0, h - ch + 1, len(x)), rng.integers(0, w - cw + 1, len(x))
    out = AF.crop(x, top, left, ch, cw)
    for i in range(len(x)):
        assert np.array_equal(out[i], x[i, :, top[i] : top[i] + ch, left[i] : left[i] + cw])


@given(image_batches(min_side=2, lo=0.1), st.data(), seeds)
@scaled_settings(40)
def test_cutout_zeroes_exactly_one_patch_of_the_requested_size(x, data, seed):
    h, w = x.shape[-2:]
    size = (data.draw(st.integers(1, h)), data.draw(st.integers(1, w)))
    out = A.Cutout(size)(x, np.random.default_rng(seed))
    for i in range(len(x)):
        zero = out[i] == 0  # (C, H, W); inputs are >= 0.1
        assert np.all(zero == zero[:1]), "all channels of the patch are erased"
        rows, cols = np.flatnonzero(zero[0].any(axis=1)), np.flatnonzero(zero[0].any(axis=0))
        assert len(rows) == size[0] and len(cols) == size[1]
        assert rows[-1] - rows[0] + 1 == size[0] and cols[-1] - cols[0] + 1 == size[1]
        assert zero[0].sum() == size[0] * size[1]  # a full rectangle, nothing else
        assert np.array_equal(out[i][~zero], x[i][~zero])


@given(image_batches(min_side=6, max_side=12, lo=0.1), seeds)
@scaled_settings(30)
def test_random_erasing_erases_one_rectangle_within_the_area_and_ratio_ranges(x, seed):
    scale, ratio = (0.05, 0.3), (0.5, 2.0)
    t = A.RandomErasing(p=1.0, scale=scale, ratio=ratio, value=0.0)
    params = t.draw(x.shape, np.random.default_rng(seed))
    out = t(x, np.random.default_rng(seed))
    h, w = x.shape[-2:]
    for i in range(len(x)):
        eh, ew = int(params["h"][i]), int(params["w"][i])
        erased = out[i, 0] == 0
        assert erased.sum() == eh * ew
        if eh:
            assert eh < h and ew < w
            top, left = int(params["i"][i]), int(params["j"][i])
            assert np.all(erased[top : top + eh, left : left + ew])
            # h = round(sqrt(area * r)) and w = round(sqrt(area / r)), with area in scale * H * W and r in ratio
            assert (eh - 0.5) * (ew - 0.5) <= scale[1] * h * w and (eh + 0.5) * (ew + 0.5) >= scale[0] * h * w
            assert (eh - 0.5) / (ew + 0.5) <= ratio[1] and (ew == 0 or (eh + 0.5) / (ew - 0.5) >= ratio[0])
    assert np.array_equal(A.RandomErasing(p=0.0)(x, seed), x)


@given(st.sampled_from([0.01, 0.1, 0.4]), st.sampled_from([0.2, 0.5, 0.9]), seeds)
@scaled_settings(20)
def test_salt_and_pepper_fraction_is_the_requested_amount(amount, salt_vs_pepper, seed):
    x = np.random.default_rng(seed).uniform(0.1, 0.9, (40, 3, 16, 16))
    out = A.SaltAndPepperNoise(amount, salt_vs_pepper)(x, np.random.default_rng(seed + 1))
    changed = out != x
    hit = changed.any(axis=1)  # (N, H, W)
    assert np.all(changed == hit[:, None]), "whole pixels change, all channels together"
    assert np.all(np.isin(out[changed], [0.0, 1.0]))
    n = hit.size
    assert abs(hit.mean() - amount) <= tol.STAT_SIGMAS * math.sqrt(amount * (1 - amount) / n)
    salt = (out[:, 0] == 1.0) & hit
    k = hit.sum()
    assert abs(salt.sum() / k - salt_vs_pepper) <= tol.STAT_SIGMAS * math.sqrt(
        salt_vs_pepper * (1 - salt_vs_pepper) / k
    )


@given(st.floats(-0.2, 0.2), st.floats(0.01, 0.5), seeds)
@scaled_settings(20)
def test_gaussian_noise_has_the_requested_mean_and_sigma(mean, sigma, seed):
    x = np.random.default_rng(seed).random((20, 3, 10, 10))
    noise = (A.GaussianNoise(mean, sigma, clip=False)(x, seed) - x).ravel()
    n = noise.size
    assert abs(noise.mean() - mean) <= tol.STAT_SIGMAS * sigma / math.sqrt(n)
    assert abs(noise.std() - sigma) <= tol.STAT_SIGMAS * sigma / math.sqrt(2 * n)
    clipped = A.GaussianNoise(mean, sigma)(x, seed)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


@given(image_batches(), seeds)
@scaled_settings(30)
def test_compose_applies_in_order_with_one_generator(x, seed):
    t1, t2 = A.RandomRotation(20), A.SaltAndPepperNoise(0.2)
    rng = np.random.default_rng(seed)
    expected = t2(t1(x, rng), rng)
    assert np.array_equal(A.Compose([t1, t2])(x, np.random.default_rng(seed)), expected)
    assert np.array_equal(A.RandomApply([t1], p=0.0)(x, seed), x)
    rng = np.random.default_rng(seed)
    rng.random(len(x))  # RandomApply's coins come first
    assert np.array_equal(A.RandomApply([t1, t2], p=1.0)(x, np.random.default_rng(seed)), t2(t1(x, rng), rng))


def test_sample_photo():
    photo = A.load_sample_photo()
    assert photo.shape == (1, 3, 53, 80) and photo.dtype == np.float64
    assert 0.0 <= photo.min() and photo.max() <= 1.0 and photo.std() > 0.1
    assert A.load_sample_photo("flower.jpg", factor=16).shape == (1, 3, 26, 40)


X4 = np.zeros((2, 1, 4, 4))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: AF.rotate(np.zeros(4), 10), "x: expected images"),
        (lambda: AF.rotate(np.zeros((0, 1, 4, 4)), 10), "x: expected non-empty"),
        (lambda: AF.rotate(X4, 10, interpolation="bicubic"), "interpolation"),
        (lambda: AF.rotate(X4, [1.0, 2.0, 3.0]), r"angle: expected one number or one per image, shape \(2,\)"),
        (lambda: AF.zoom(X4, 0.0), "scale: expected positive"),
        (lambda: AF.affine(X4, translate=3), "translate: expected a pair"),
        (lambda: AF.rotate(X4, 10, fill=[0.0, 1.0]), "fill: expected a number or 1 numbers"),
        (lambda: AF.pad(X4, (1, 2, 3)), "padding"),
        (lambda: AF.pad(X4, 1, padding_mode="wrap"), "padding_mode"),
        (lambda: AF.crop(X4, 0, 0, 5, 2), "height: expected an integer from 1 to 4"),
        (lambda: AF.crop(X4, 3, 0, 2, 2), "top, left: the 2x2 window must lie inside"),
        (lambda: AF.salt_and_pepper(X4, 1.5, 0), "amount: expected a probability"),
        (lambda: AF.salt_and_pepper(X4, 0.1, "seed"), "rng: expected a np.random.Generator"),
        (lambda: AF.gaussian_noise(X4, 0, sigma=-1.0), "sigma"),
        (lambda: A.RandomRotation(10)(np.zeros((1, 4, 4)), 0), r"x: expected a batch \(N, C, H, W\)"),
        (lambda: A.RandomRotation(-5), "degrees: expected a non-negative number"),
        (lambda: A.RandomRotation((10, -10)), "degrees: expected min <= max"),
        (lambda: A.RandomHorizontalFlip(p=2), "p: expected a probability"),
        (lambda: A.RandomAffine(0, translate=(0.5, 2.0)), r"translate: expected a fraction in \[0, 1\], got 2.0"),
        (lambda: A.RandomAffine(0, scale=(-1.0, 1.0)), "scale: expected values >= "),
        (lambda: A.RandomCrop(5)(X4, 0), r"size: the crop \(5, 5\) is larger"),
        (lambda: A.RandomCrop(0), "size: expected a positive int"),
        (lambda: A.Cutout(5)(X4, 0), "size: the patch"),
        (lambda: A.RandomErasing(scale=(0.1, 1.5)), "scale: expected fractions"),
        (lambda: A.Compose([A.RandomRotation(5), "flip"]), r"transforms\[1\]: expected a transform"),
        (lambda: A.load_sample_photo("cat.jpg"), "name: expected one of"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
