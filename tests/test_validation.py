"""A learner's mistake raises one ValueError naming the argument, what was expected and what was received."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import dlcourse.functional as F
from dlcourse import _validate, nn

RAGGED = [[1.0, 2.0], [3.0]]
GOOD = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])  # (2, 3)


def raises(fn, *args, words=(), **kwargs):
    """Call fn, expect a ValueError whose message contains every word (literally); return the message."""
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# ------------------------------------------------------------------------------------------- activations
ACTIVATIONS = {
    "sigmoid": F.sigmoid,
    "sigmoid_forward": F.sigmoid_forward,
    "tanh": F.tanh,
    "tanh_forward": F.tanh_forward,
    "relu": F.relu,
    "relu_forward": F.relu_forward,
    "leaky_relu": F.leaky_relu,
    "leaky_relu_forward": F.leaky_relu_forward,
    "softmax": F.softmax,
    "softmax_forward": F.softmax_forward,
    "log_softmax": F.log_softmax,
    "log_softmax_forward": F.log_softmax_forward,
}
BAD_X = [
    (None, ("x:", "None")),
    (RAGGED, ("x:", "array of numbers", "list")),
    ("1.0", ("x:", "array of numbers", "dtype <U3")),
    (np.array(["a", "b"]), ("x:", "dtype <U1")),
    (np.array([1 + 2j]), ("x:", "real", "complex")),
    (np.array([1.0, None]), ("x:", "dtype object")),
]


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("x, words", BAD_X, ids=["None", "ragged", "string", "str-array", "complex", "object"])
def test_activations_reject_bad_x(name, x, words):
    raises(ACTIVATIONS[name], x, words=words)


@pytest.mark.parametrize(
    "fn",
    [F.softmax, F.log_softmax, F.softmax_forward, F.log_softmax_forward],
    ids=["softmax", "log_softmax", "softmax_forward", "log_softmax_forward"],
)
@pytest.mark.parametrize("dim", [2, -3, 10, 1.5, "1", None])
def test_softmax_rejects_a_bad_dim(fn, dim):
    raises(fn, GOOD, dim=dim, words=("dim:", "[-2, 1]", "(2, 3)", repr(dim)))


def test_activation_inputs_that_are_fine():
    assert F.sigmoid([0.0, 1.0]).dtype == np.float64  # lists are arrays
    assert F.relu(np.array([True, False])).dtype == np.float64  # bool -> float64, like torch.as_tensor(...)
    assert F.tanh(np.array([1, 2])).dtype == np.float64  # int -> float64
    assert F.sigmoid(np.float32([1.0])).dtype == np.float32  # float32 stays float32
    assert F.softmax(GOOD, dim=-2).shape == (2, 3)


# ------------------------------------------------------------------------------------------------ linear
W = np.ones((4, 3))  # (out_features, in_features)


@pytest.mark.parametrize("fn", [F.linear, F.linear_forward], ids=["linear", "linear_forward"])
class TestLinearArguments:
    def test_x_none(self, fn):
        raises(fn, None, W, words=("x:", "None"))

    def test_x_ragged(self, fn):
        raises(fn, RAGGED, W, words=("x:", "array of numbers"))

    def test_x_strings(self, fn):
        raises(fn, [["a", "b", "c"]], W, words=("x:", "dtype"))

    def test_x_scalar(self, fn):
        raises(fn, 3.0, W, words=("x:", "in_features=3", "scalar"))

    def test_x_weight_mismatch(self, fn):
        raises(fn, np.ones((2, 5)), W, words=("x:", "in_features=3", "(4, 3)", "(2, 5)"))

    def test_x_transposed(self, fn):
        raises(fn, np.ones((3, 2)), W, words=("x:", "(4, 3)", "(3, 2)"))

    def test_weight_none(self, fn):
        raises(fn, GOOD, None, words=("weight:", "None"))

    @pytest.mark.parametrize("weight", [np.ones(3), np.ones((1, 4, 3))])
    def test_weight_wrong_ndim(self, fn, weight):
        raises(fn, GOOD, weight, words=("weight:", "2-D", str(weight.shape)))

    def test_bias_wrong_size(self, fn):
        raises(fn, GOOD, W, np.ones(3), words=("bias:", "(4,)", "(3,)"))

    def test_bias_wrong_ndim(self, fn):
        raises(fn, GOOD, W, np.ones((1, 4)), words=("bias:", "1-D", "(1, 4)"))

    def test_bias_strings(self, fn):
        raises(fn, GOOD, W, ["a", "b", "c", "d"], words=("bias:", "dtype"))


# ------------------------------------------------------------------------------------------------ losses
ELEMENTWISE_LOSSES = {
    "mse_loss": F.mse_loss,
    "mse_loss_forward": F.mse_loss_forward,
    "bce": F.binary_cross_entropy_with_logits,
    "bce_forward": F.binary_cross_entropy_with_logits_forward,
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE_LOSSES))
def test_elementwise_losses_reject_mismatched_shapes(name):
    raises(ELEMENTWISE_LOSSES[name], np.ones((2, 3)), np.ones((3, 2)), words=("target:", "(2, 3)", "(3, 2)"))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE_LOSSES))
def test_elementwise_losses_reject_bad_arrays(name):
    fn = ELEMENTWISE_LOSSES[name]
    raises(fn, None, np.ones(3), words=("input:", "None"))
    raises(fn, np.ones(3), None, words=("target:", "None"))
    raises(fn, RAGGED, np.ones(3), words=("input:", "array of numbers"))
    raises(fn, np.ones(2), ["a", "b"], words=("target:", "dtype"))


LOSSES = {
    "mse_loss": (F.mse_loss, (np.ones((2, 3)), np.zeros((2, 3)))),
    "bce": (F.binary_cross_entropy_with_logits, (np.ones((2, 3)), np.zeros((2, 3)))),
    "cross_entropy": (F.cross_entropy, (GOOD, np.array([0, 2]))),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["avg", "MEAN", None, "", 1])
def test_losses_reject_a_bad_reduction(name, reduction):
    fn, args = LOSSES[name]
    raises(fn, *args, reduction=reduction, words=("reduction:", "'mean'", "'sum'", "'none'", repr(reduction)))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.cross_entropy_forward], ids=["cross_entropy", "forward"])
class TestCrossEntropyArguments:
    def test_input_1d(self, fn):
        raises(fn, np.ones(3), np.array([0]), words=("input:", "2-D", "(3,)"))

    def test_input_3d(self, fn):
        raises(fn, np.ones((2, 3, 4)), np.array([0, 1]), words=("input:", "2-D", "(2, 3, 4)"))

    def test_input_none(self, fn):
        raises(fn, None, np.array([0, 1]), words=("input:", "None"))

    @pytest.mark.parametrize("target", [np.array([[0], [1]]), np.array([0, 1, 2]), np.array(1)])
    def test_target_wrong_shape(self, fn, target):
        raises(fn, GOOD, target, words=("target:", "(2,)", str(target.shape)))

    @pytest.mark.parametrize("target, got", [([0, 3], "max 3"), ([-1, 0], "min -1"), ([5, 7], "max 7")])
    def test_target_out_of_range(self, fn, target, got):
        raises(fn, GOOD, np.array(target), words=("target:", "[0, 2]", got))

    @pytest.mark.parametrize("target", [[0.5, 1.0], [0.0, np.nan], [np.inf, 1.0]])
    def test_target_not_integer(self, fn, target):
        raises(fn, GOOD, np.array(target), words=("target:", "integer", "non-integer"))

    def test_target_strings(self, fn):
        raises(fn, GOOD, np.array(["0", "1"]), words=("target:", "integer", "dtype <U1"))

    def test_target_none(self, fn):
        raises(fn, GOOD, None, words=("target:", "None"))

    def test_target_ragged(self, fn):
        raises(fn, GOOD, [[0, 1], [2]], words=("target:", "(2,)", "list"))

    def test_integral_floats_and_lists_are_fine(self, fn):
        a = fn(GOOD, np.array([2.0, 0.0]))
        b = fn(GOOD, [2, 0])
        assert np.array_equal(
            np.asarray(a[0] if isinstance(a, tuple) else a), np.asarray(b[0] if isinstance(b, tuple) else b)
        )


@pytest.mark.parametrize(
    "forward, backward, args",
    [
        (F.mse_loss_forward, F.mse_loss_backward, (np.ones((2, 3)), np.zeros((2, 3)))),
        (
            F.binary_cross_entropy_with_logits_forward,
            F.binary_cross_entropy_with_logits_backward,
            (np.ones((2, 3)), np.zeros((2, 3))),
        ),
        (F.cross_entropy_forward, F.cross_entropy_backward, (np.ones((2, 3)), np.array([0, 1]))),
    ],
    ids=["mse", "bce", "cross_entropy"],
)
def test_loss_backward_rejects_a_bad_dloss(forward, backward, args):
    _, cache = forward(*args, reduction="none")
    shape = np.shape(forward(*args, reduction="none")[0])
    message = raises(backward, np.ones((7,)), cache, words=("dloss:", "'none'", "(7,)"))
    assert str(shape) in message
    _, cache = forward(*args, reduction="mean")
    raises(backward, np.ones((2,)), cache, words=("dloss:", "scalar", "(2,)"))


# ---------------------------------------------------------------------------------------------------- nn
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"in_features": 0, "out_features": 2}, ("in_features", "0")),
        ({"in_features": 3, "out_features": -1}, ("out_features", "-1")),
        ({"in_features": 2.5, "out_features": 2}, ("in_features", "2.5")),
        ({"in_features": "3", "out_features": 2}, ("in_features", "'3'")),
        ({"in_features": 3, "out_features": 2, "rng": "seed"}, ("rng", "str")),
    ],
)
def test_linear_module_arguments(kwargs, words):
    raises(nn.Linear, **kwargs, words=words)


def test_module_forward_with_the_wrong_input_shape():
    layer = nn.Linear(3, 2, rng=0)
    raises(layer, np.ones((4, 5)), words=("x:", "(4, 5)", "(2, 3)"))
    model = nn.MLP(3, [4], 2, rng=0)
    raises(model, np.ones((4, 2)), words=("x:", "(4, 2)", "(4, 3)"))


def test_loss_modules_validate():
    raises(nn.MSELoss(reduction="avg"), np.ones(2), np.ones(2), words=("reduction:", "'avg'"))
    raises(nn.CrossEntropyLoss(), GOOD, np.array([0, 3]), words=("target:", "[0, 2]"))
    raises(nn.BCEWithLogitsLoss(), np.ones(2), np.ones(3), words=("target:", "(2,)", "(3,)"))


def test_sequential_and_mlp_arguments():
    raises(nn.Sequential, nn.ReLU(), "relu", words=("modules[1]", "str"))
    raises(nn.MLP, 2, [3], 2, "swish", words=("activation:", "'swish'", "relu"))
    raises(nn.MLP, 2, [3], 2, rng=1.5, words=("rng", "float"))
    raises(nn.MLP, 2, [0], 2, words=("out_features", "0"))


# --------------------------------------------------------------------------------------------- _validate
def test_as_float_array():
    assert _validate.as_float_array([1, 2], "x").dtype == np.float64
    assert _validate.as_float_array(np.float32([1]), "x").dtype == np.float32
    raises(
        _validate.as_float_array,
        np.ones((2, 3)),
        "weight",
        ndim=(1, 3),
        words=("weight:", "1-D or 3-D", "(2, 3)", "2-D"),
    )


def test_check_last_dim():
    raises(_validate.check_last_dim, np.ones((2, 5)), 3, "x", "in_features", words=("x:", "3", "in_features", "(2, 5)"))
    _validate.check_last_dim(np.ones((2, 3)), 3, "x", "in_features")


def test_check_finite_names_the_first_bad_index():
    arr = np.zeros((2, 3))
    arr[1, 2] = np.inf
    arr[1, 0] = np.nan
    raises(_validate.check_finite, arr, "x", words=("x:", "finite", "(1, 0)", "nan"))
    _validate.check_finite(np.ones(3), "x")


@pytest.mark.parametrize("value", [0, -1, 1.0, "2", True, None])
def test_check_positive_int_rejects(value):
    raises(_validate.check_positive_int, value, "batch_size", words=("batch_size:", repr(value)))


def test_check_positive_int_and_rng_accept():
    assert _validate.check_positive_int(np.int64(3), "n") == 3
    rng = np.random.default_rng(0)
    assert _validate.check_rng(rng) is rng
    assert np.array_equal(_validate.check_rng(5).random(3), np.random.default_rng(5).random(3))
    raises(_validate.check_rng, True, words=("rng:", "bool"))
    raises(_validate.check_rng, np.random.RandomState(0), "generator", words=("generator:", "RandomState"))


def test_error_messages_are_one_sentence_without_numpy_jargon():
    """Not a broadcasting error three frames deep: the message starts with the argument's name."""
    for call in (
        lambda: F.linear(np.ones((2, 5)), W),
        lambda: F.mse_loss(np.ones(2), np.ones(3)),
        lambda: F.cross_entropy(GOOD, [0, 9]),
        lambda: F.softmax(GOOD, dim=5),
    ):
        message = raises(call)
        assert re.match(r"^[a-z_]+(\[[^\]]+\])?: ", message), message
        assert "broadcast" not in message and "operands" not in message


# ------------------------------------------------------------------------------------------ import cost
def test_import_dlcourse_stays_light():
    code = (
        "import sys, dlcourse, dlcourse.checks, dlcourse.functional, dlcourse.nn, dlcourse.optim, dlcourse.data, "
        "dlcourse.train, dlcourse.metrics\n"
        "heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets', 'sklearn') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"import dlcourse pulled in: {result.stdout.strip()}"


# ------------------------------------------------------------------------------- upstream gradients and caches
@pytest.mark.parametrize(
    "value, words",
    [
        (float("nan"), ("p:", "nan")),
        (float("inf"), ("p:", "inf")),
        (-0.5, ("p:", "[0, 1]", "-0.5")),
        (True, ("p:", "True")),
        ("0.5", ("p:", "'0.5'")),
        (None, ("p:", "None")),
    ],
)
def test_check_number_rejects_nan_infinity_bools_and_out_of_range(value, words):
    raises(_validate.check_number, value, "p", minimum=0, maximum=1, words=words)


def test_check_number_accepts_numpy_numbers_and_bounds():
    assert _validate.check_number(np.float32(0.5), "p", minimum=0, maximum=1) == 0.5
    assert _validate.check_number(np.int64(3), "n", minimum=3) == 3.0
    raises(
        _validate.check_number,
        2,
        "sigma",
        maximum=1,
        what="a standard deviation",
        words=("sigma: expected a standard deviation <= 1, got 2",),
    )


@pytest.mark.parametrize(
    "dim, shape, expected", [(0, (2, 3), 0), (-1, (2, 3), 1), (-2, (2, 3), 0), (0, (), 0), (-1, (), 0)]
)
def test_wrap_dim_reads_dims_as_torch(dim, shape, expected):
    assert _validate.wrap_dim(dim, shape) == expected


@pytest.mark.parametrize(
    "dim, shape, words",
    [
        (2, (2, 3), ("[-2, 1]", "(2, 3)", "2")),
        (-3, (2, 3), ("-3",)),
        (1, (), ("[-1, 0]",)),
        (1.0, (2, 3), ("1.0",)),
        (True, (2, 3), ("True",)),
    ],
)
def test_wrap_dim_rejects(dim, shape, words):
    raises(_validate.wrap_dim, dim, shape, "start_dim", words=("start_dim:", *words))


def test_check_upstream_wants_the_exact_shape_and_casts_the_dtype():
    out = _validate.check_upstream(np.ones((3, 1), dtype=np.int64), "dout", (3, 1), np.float32)
    assert out.dtype == np.float32 and out.shape == (3, 1)
    same = np.ones((3, 1))
    assert _validate.check_upstream(same, "dout", (3, 1), np.float64) is same  # no copy
    raises(
        _validate.check_upstream,
        np.ones(3),
        "dout",
        (3, 1),
        np.float64,
        words=("dout: expected shape (3, 1) (the output's), got shape (3,)", "reshape it to (3, 1)"),
    )
    message = raises(_validate.check_upstream, np.ones((1, 3)), "dout", (3, 2), np.float64, words=("(1, 3)",))
    assert "reshape" not in message  # a different shape, not only axes of length 1
    raises(_validate.check_upstream, None, "dloss", (), np.float64, words=("dloss:", "None"))


def test_check_cache_names_the_forward_and_spots_the_pair():
    out, cache = F.relu_forward(np.ones(3))
    assert _validate.check_cache(cache, type(cache), "relu_forward") is cache
    raises(F.relu_backward, np.ones(3), (out, cache), words=("cache:", "out, cache = relu_forward(...)"))
    raises(F.relu_backward, np.ones(3), None, words=("cache:", "relu_forward", "ReLUCache", "None"))
    raises(F.tanh_backward, np.ones(3), cache, words=("cache:", "tanh_forward", "got ReLUCache"))


@pytest.mark.parametrize(
    "target, words",
    [
        (np.array([0.5, 1.0]), ("non-integer values such as 0.5", "not probabilities")),
        (np.ones((2, 3)) / 3, ("(2,)", "one class index per example", "(2, 3)")),
    ],
)
def test_check_labels_explains_probabilities_given_for_labels(target, words):
    raises(_validate.check_labels, target, "target", 2, 3, words=("target:", *words))


# ------------------------------------------------------------------------------ integers, fractions, choices
@pytest.mark.parametrize(
    "kwargs, value, message",
    [
        ({}, 1.5, "n: expected an integer, got 1.5"),
        ({"minimum": 0}, -1, "n: expected an integer >= 0, got -1"),
        ({"maximum": 3}, 4, "n: expected an integer <= 3, got 4"),
        ({"minimum": 1, "maximum": 6}, 7, "n: expected an integer from 1 to 6, got 7"),
        ({"minimum": 0}, True, "n: expected an integer >= 0, got True"),
        ({"minimum": 0}, "2", "n: expected an integer >= 0, got '2'"),
    ],
)
def test_check_int_names_the_range(kwargs, value, message):
    raises(_validate.check_int, value, "n", **kwargs, words=(message,))


def test_check_int_accepts_numpy_integers_in_range():
    assert _validate.check_int(np.int32(6), "n", minimum=1, maximum=6) == 6
    assert type(_validate.check_int(np.int64(0), "n", minimum=0)) is int


@pytest.mark.parametrize("value", [1.0, -0.1, float("nan"), float("inf"), "0.5", None, True])
def test_check_fraction_rejects(value):
    raises(_validate.check_fraction, value, "val_size", words=("val_size: expected a fraction in [0, 1)", repr(value)))


def test_check_fraction_closed_and_probability():
    assert _validate.check_fraction(1, "t", closed=True) == 1.0 and _validate.check_fraction(0, "t") == 0.0
    raises(_validate.check_fraction, 1.5, "t", closed=True, words=("t: expected a fraction in [0, 1], got 1.5",))
    assert _validate.check_probability(np.float32(0.25), "p") == 0.25
    raises(_validate.check_probability, 1.5, "amount", words=("amount: expected a probability in [0, 1], got 1.5",))


@pytest.mark.parametrize("value", [0, -1e-9, float("nan"), float("inf"), True, "1"])
def test_check_positive_number_rejects(value):
    raises(
        _validate.check_positive_number,
        value,
        "h",
        what="a positive step",
        words=(f"h: expected a positive step, got {value!r}",),
    )


def test_check_bool_and_choice():
    assert _validate.check_bool(np.bool_(True), "raw") is True
    raises(_validate.check_bool, "no", "raw", words=("raw: expected True or False, got 'no'",))
    raises(_validate.check_bool, 1, "raw", words=("raw: expected True or False, got 1",))
    assert _validate.check_choice("pre", "padding", ("pre", "post")) == "pre"
    raises(
        _validate.check_choice,
        "mid",
        "padding",
        ("pre", "post"),
        words=("padding: expected one of ['pre', 'post'], got 'mid'",),
    )
    raises(_validate.check_choice, ["pre"], "padding", {"pre": 1}, words=("padding:", "['pre']"))  # unhashable
    raises(_validate.check_choice, np.zeros(2), "name", ("a", "b"), words=("name:", "array"))


@pytest.mark.parametrize(
    "value, words",
    [
        ((1, 0), ("feature_range: expected min < max, got (1, 0)",)),
        ((0, 0), ("feature_range: expected min < max",)),
        ((0, float("nan")), ("feature_range: expected a pair (min, max) of finite numbers",)),
        ((0, 1, 2), ("a pair",)),
        (3, ("a pair",)),
        ("ab", ("a pair",)),
    ],
)
def test_check_interval_rejects(value, words):
    raises(_validate.check_interval, value, "feature_range", strict=True, words=words)


def test_check_interval_accepts_and_names_its_ends():
    assert _validate.check_interval([0, np.float32(16)], "value_range", ends=("low", "high")) == (0.0, 16.0)
    assert _validate.check_interval((2, 2), "r") == (2.0, 2.0)
    raises(
        _validate.check_interval,
        (3, 2),
        "value_range",
        ends=("low", "high"),
        words=("value_range: expected low <= high, got (3, 2)",),
    )


def test_check_rng_says_what_needs_a_missing_generator():
    raises(
        _validate.check_rng,
        None,
        needed_for="shuffling",
        words=("rng: shuffling needs an explicit np.random.Generator (or int seed), got None",),
    )
    raises(_validate.check_rng, None, words=("rng: expected a np.random.Generator or an int seed, got NoneType",))
    raises(_validate.check_rng, np.bool_(True), words=("rng:", "bool"))


# ---------------------------------------------------------------------------- the library's own arguments
def _library_calls():
    """(call, message) pairs: an argument of each kind _validate checks, in the modules that use it."""
    from dlcourse import augment, init, numerics, preprocess
    from dlcourse.data import colour_digits, datasets, synthetic, text
    from dlcourse.viz import boundary, curves

    w = np.zeros((2, 3))
    return [
        (lambda: preprocess.ZCA(epsilon=float("nan")), "epsilon: expected a number >= 0, got nan"),
        (lambda: preprocess.MinMaxScaler(feature_range=(1, 0)), "feature_range: expected min < max"),
        (lambda: init.uniform_(w, float("nan"), 1.0, rng=0), "a: expected a number, got nan"),
        (lambda: init.normal_(w, 0.0, -1.0, rng=0), "std: expected a standard deviation >= 0, got -1.0"),
        (
            lambda: init.init_linear_(nn.Linear(2, 2, rng=0), rng=0, bias_init="ones"),
            "bias_init: expected one of ['zeros', 'pytorch'], got 'ones'",
        ),
        (lambda: numerics.neighbours(1.0, count=1.5), "count: expected an integer >= 0, got 1.5"),
        (lambda: synthetic.make_moons(noise=-0.1), "noise: expected a finite number >= 0, got -0.1"),
        (lambda: synthetic.make_circles(factor=1.0), "factor: expected a number in (0, 1), got 1.0"),
        (
            lambda: synthetic.make_dataset("rings"),
            "name: expected one of ['blobs', 'circles', 'moons', 'spirals', 'xor'], got 'rings'",
        ),
        (lambda: text.pad_sequences([[1]], 0), "maxlen: expected a positive integer, got 0"),
        (lambda: datasets._check_val_size(1.5), "val_size: expected a count (int >= 0) or a fraction in [0, 1)"),
        (lambda: datasets._check_val_size(5, 5), "val_size: expected fewer than the 5 training examples, got 5"),
        (
            lambda: colour_digits.load_cifar10_or_colour_digits(download="yes"),
            "download: expected True or False, got 'yes'",
        ),
        (lambda: augment.load_sample_photo(factor=0), "factor: expected an integer from 1 to 64, got 0"),
        (lambda: boundary.make_grid(np.zeros((3, 2)), resolution=1), "resolution: expected an integer >= 2, got 1"),
        (lambda: curves.LiveLossPlot(every=0), "every: expected a positive integer, got 0"),
    ]


def test_library_arguments_are_checked_by_validate():
    for call, message in _library_calls():
        raises(call, words=(message,))


def test_a_numpy_float_val_size_is_a_fraction():
    from dlcourse.data import datasets

    train, val = datasets._split_indices(10, np.float32(0.2), np.random.default_rng(0))
    assert (len(train), len(val)) == (8, 2)
