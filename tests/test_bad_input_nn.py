"""Bad input to every layer of dlcourse.nn gets PyTorch's result or a clear error, never a stale or silently
broadcast gradient: backward before forward or twice, dout of the wrong shape, a mode switch between forward and
backward, an empty batch, Flatten's dims, probabilities where class labels belong.

Every Module class dlcourse.nn exports is found programmatically; one without an example below fails
:func:`test_every_module_has_an_example`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from strategies import REDUCTIONS, scaled_settings

from dlcourse import nn
from dlcourse.checks import tolerances

ALL_MODULES = sorted(
    name
    for name, obj in vars(nn).items()
    if not name.startswith("_") and isinstance(obj, type) and issubclass(obj, nn.Module) and obj is not nn.Module
)
#: layers whose inputs or outputs this file's harness does not fit (sequences with states, query/key/value and
#: weights, a random mask, no PyTorch twin): each has bad-input tests of its own in the file named
COVERED_ELSEWHERE = {
    **dict.fromkeys(
        ("Embedding", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"), "test_bad_input_recurrent.py"
    ),
    **dict.fromkeys(
        ("MultiheadAttention", "LayerNorm", "Dropout", "TransformerEncoderLayer", "PositionalEncoding"),
        "test_bad_input_attention.py",
    ),
}
MODULES = [name for name in ALL_MODULES if name not in COVERED_ELSEWHERE]
LOSSES = ("BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss")
#: modules whose backward needs no saved values, only shapes: PyTorch allows any number of backward passes
SHAPES_ONLY = ("Flatten", "Identity", "Upsample")


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _mlp(module):
    return module.Sequential(module.Linear(3, 4), module.ReLU(), module.Linear(4, 1))


# name -> (dlcourse module, PyTorch module (float64, same weights), inputs for a batch of n); outputs end in an
# axis of length 1 where the module allows it
EXAMPLES = {
    "Sigmoid": (nn.Sigmoid, torch.nn.Sigmoid, lambda n, r: (_normal(r, n, 1),)),
    "Tanh": (nn.Tanh, torch.nn.Tanh, lambda n, r: (_normal(r, n, 1),)),
    "GELU": (nn.GELU, torch.nn.GELU, lambda n, r: (_normal(r, n, 1),)),
    "ReLU": (nn.ReLU, torch.nn.ReLU, lambda n, r: (_normal(r, n, 1),)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1), lambda n, r: (_normal(r, n, 1),)),
    "Softmax": (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), lambda n, r: (_normal(r, n, 4),)),
    "Identity": (nn.Identity, torch.nn.Identity, lambda n, r: (_normal(r, n, 1),)),
    "Linear": (lambda: nn.Linear(3, 1, rng=0), lambda: torch.nn.Linear(3, 1), lambda n, r: (_normal(r, n, 3),)),
    "Conv2d": (
        lambda: nn.Conv2d(2, 1, 3, padding=1, rng=0),
        lambda: torch.nn.Conv2d(2, 1, 3, padding=1),
        lambda n, r: (_normal(r, n, 2, 5, 5),),
    ),
    "ConvTranspose2d": (
        lambda: nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1, rng=0),
        lambda: torch.nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1),
        lambda n, r: (_normal(r, n, 2, 3, 3),),
    ),
    "Upsample": (
        lambda: nn.Upsample(2),
        lambda: torch.nn.Upsample(scale_factor=2.0),
        lambda n, r: (_normal(r, n, 1, 2, 3),),
    ),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(2), lambda: torch.nn.BatchNorm1d(2), lambda n, r: (_normal(r, n, 2, 3),)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), lambda: torch.nn.BatchNorm2d(2), lambda n, r: (_normal(r, n, 2, 2, 3),)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), lambda n, r: (_normal(r, n, 1, 4, 4),)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), lambda n, r: (_normal(r, n, 1, 4, 4),)),
    "Flatten": (nn.Flatten, torch.nn.Flatten, lambda n, r: (_normal(r, n, 1, 1, 1),)),
    "Sequential": (lambda: _mlp(nn), lambda: _mlp(torch.nn), lambda n, r: (_normal(r, n, 3),)),
    "MLP": (lambda: nn.MLP(3, [4], 1, "relu", rng=0), lambda: _mlp(torch.nn), lambda n, r: (_normal(r, n, 3),)),
    "MSELoss": (nn.MSELoss, torch.nn.MSELoss, lambda n, r: (_normal(r, n, 1), _normal(r, n, 1))),
    "BCEWithLogitsLoss": (
        nn.BCEWithLogitsLoss,
        torch.nn.BCEWithLogitsLoss,
        lambda n, r: (_normal(r, n, 1), r.uniform(0, 1, (n, 1))),
    ),
    "CrossEntropyLoss": (
        nn.CrossEntropyLoss,
        torch.nn.CrossEntropyLoss,
        lambda n, r: (_normal(r, n, 3), r.integers(0, 3, n)),
    ),
}
CASES = [(name, None) for name in MODULES if name not in LOSSES] + [
    (name, r) for name in MODULES if name in LOSSES for r in REDUCTIONS
]
CASE_IDS = [name if r is None else f"{name}-{r}" for name, r in CASES]


def twins(name, reduction=None):
    """The module in dlcourse and in PyTorch (float64), with the same parameters."""
    make_ours, make_theirs, _ = EXAMPLES[name]
    kwargs = {} if reduction is None else {"reduction": reduction}
    ours, theirs = make_ours(**kwargs), make_theirs(**kwargs).double()
    if ours.parameters():
        ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def inputs(name, n=3, seed=0):
    return EXAMPLES[name][2](n, np.random.default_rng(seed))


class TorchRun:
    """A forward pass in PyTorch whose backward can be called (and fail) like a dlcourse module's."""

    def __init__(self, module, args):
        self.module = module
        self.x = torch.tensor(args[0], requires_grad=True)
        self.out = module(self.x, *(torch.as_tensor(a) for a in args[1:]))

    def backward(self, dout):
        """dL/dx of this backward pass alone (parameter gradients accumulate, as in a dlcourse module)."""
        self.x.grad = None
        self.out.backward(torch.as_tensor(np.asarray(dout)))
        return self.x.grad.numpy().copy()

    def param_grads(self):
        return {k: p.grad.numpy().copy() for k, p in self.module.named_parameters()}


def assert_same(got, expected, what):
    """Same shape, NaN at the same places, the same infinities, finite values within REFERENCE_RTOL."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, PyTorch {expected.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(expected)), f"{what}: NaN at other places than PyTorch's"
    assert np.array_equal(np.isinf(got), np.isinf(expected)) and np.array_equal(
        got[np.isinf(got)], expected[np.isinf(got)]
    ), f"{what}: infinities differ from PyTorch's"
    finite = np.isfinite(expected)
    err = np.abs(got[finite] - expected[finite]) / np.maximum(np.abs(expected[finite]), 1.0)
    assert np.all(err <= tolerances.REFERENCE_RTOL), f"{what}: off by {err.max():.1e} relative to PyTorch"


def assert_param_grads(ours, run, what=""):
    expected = run.param_grads()
    for p in ours.parameters():
        assert_same(p.grad, expected[p.name], f"{what}d{p.name}")


def upstream_name(name):
    return "dloss" if name in LOSSES else "dout"


# -------------------------------------------------------------------------------------------- discovery
def test_every_module_has_an_example():
    assert len(MODULES) >= 15, MODULES
    missing = sorted(set(MODULES) - set(EXAMPLES))
    assert not missing, f"Module classes without bad-input examples here: {missing}"
    assert set(COVERED_ELSEWHERE) <= set(ALL_MODULES), "a layer said to be covered elsewhere does not exist"
    here = Path(__file__).parent
    for name, file in COVERED_ELSEWHERE.items():
        assert name in (here / file).read_text(encoding="utf-8"), f"{file} does not test {name}"


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_the_examples_match_torch(name, reduction):
    ours, theirs = twins(name, reduction)
    args = inputs(name)
    run = TorchRun(theirs, args)
    assert_same(ours(*args), run.out.detach().numpy(), "output")
    dout = np.random.default_rng(1).standard_normal(tuple(run.out.shape))
    assert_same(ours.backward(dout), run.backward(dout), "dx")
    assert_param_grads(ours, run)


# ------------------------------------------------------------------------------------ forward and backward
@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_backward_before_forward_raises_naming_the_module(name, reduction):
    ours, _ = twins(name, reduction)
    out_shape = np.shape(twins(name, reduction)[0](*inputs(name)))
    if name == "Identity":  # saves nothing: backward is dout itself, as in PyTorch
        assert np.array_equal(ours.backward(np.ones(out_shape)), np.ones(out_shape))
        return
    with pytest.raises(RuntimeError) as info:
        ours.backward(np.ones(out_shape))
    last = ours[-1] if isinstance(ours, nn.Sequential) else ours
    assert f"{type(last).__name__}.backward" in str(info.value) and "forward" in str(info.value)


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_a_second_backward_after_one_forward_raises_as_in_torch(name, reduction):
    """PyTorch frees what a forward pass saved after one backward pass; the modules that save values do too (a
    second backward raises a RuntimeError instead of adding the same gradients again). Identity and Flatten save
    only shapes and, as in PyTorch, allow it."""
    ours, theirs = twins(name, reduction)
    args = inputs(name)
    run = TorchRun(theirs, args)
    ours(*args)
    dout = np.ones(tuple(run.out.shape))
    ours.backward(dout)
    run.backward(dout)
    if name in SHAPES_ONLY:
        assert_same(ours.backward(dout), run.backward(dout), "second dx")
        return
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        run.backward(dout)
    with pytest.raises(RuntimeError, match="second") as info:
        ours.backward(dout)
    assert "forward again" in str(info.value)
    assert_param_grads(ours, run, "after the refused second backward: ")  # nothing was added
    ours(*args)  # a new forward pass allows a new backward pass
    run = TorchRun(theirs, args)
    assert_same(ours.backward(dout), run.backward(dout), "dx after a new forward")
    assert_param_grads(ours, run, "accumulated: ")


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@scaled_settings(10)
@given(bad_shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
def test_dout_of_the_wrong_shape_raises_and_a_right_one_still_works(name, reduction, bad_shape):
    ours, theirs = twins(name, reduction)
    args = inputs(name)
    run = TorchRun(theirs, args)
    out_shape = tuple(run.out.shape)
    bad_shape = bad_shape if bad_shape != out_shape else out_shape + (1,)
    ours(*args)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        run.backward(np.ones(bad_shape))
    with pytest.raises(ValueError) as info:
        ours.backward(np.ones(bad_shape))
    for word in (upstream_name(name) + ":", str(out_shape), str(bad_shape)):
        assert word in str(info.value)
    dout = np.random.default_rng(2).standard_normal(out_shape)  # the failed call used up nothing
    assert_same(ours.backward(dout), run.backward(dout), "dx")
    assert_param_grads(ours, run)


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("first, then", [("eval", "train"), ("train", "eval")])
def test_backward_after_switching_mode_differentiates_the_forward_that_ran(name, reduction, first, then):
    """As in PyTorch, backward differentiates the forward pass that ran, whatever the mode is by then."""
    ours, theirs = twins(name, reduction)
    getattr(ours, first)()
    getattr(theirs, first)()
    args = inputs(name)
    run = TorchRun(theirs, args)
    ours(*args)
    getattr(ours, then)()
    getattr(theirs, then)()
    dout = np.random.default_rng(3).standard_normal(tuple(run.out.shape))
    assert_same(ours.backward(dout), run.backward(dout), "dx")
    assert_param_grads(ours, run)


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_an_empty_batch_gives_torchs_result(name, reduction):
    """N = 0: empty outputs and input gradients, zero parameter gradients; a 'mean' loss is nan, a 'sum' 0."""
    ours, theirs = twins(name, reduction)
    args = inputs(name, n=0)
    run = TorchRun(theirs, args)
    assert_same(ours(*args), run.out.detach().numpy(), "output")
    dout = np.ones(tuple(run.out.shape))
    assert_same(ours.backward(dout), run.backward(dout), "dx")
    assert_param_grads(ours, run)


@pytest.mark.parametrize(
    "name",
    [
        "ReLU",
        "LeakyReLU",
        "Sigmoid",
        "Tanh",
        "Softmax",
        "MaxPool2d",
        "AvgPool2d",
        "Flatten",
        "Identity",
        "Sequential",
        "Linear",
        "Conv2d",
    ],
)
@pytest.mark.filterwarnings("ignore:invalid value encountered")
@scaled_settings(20)
@given(data=st.data())
def test_non_finite_dout_gives_torchs_gradients(name, data):
    ours, theirs = twins(name)
    args = inputs(name, seed=data.draw(st.integers(0, 9)))
    run = TorchRun(theirs, args)
    ours(*args)
    size = int(np.prod(tuple(run.out.shape)))
    values = data.draw(st.lists(st.sampled_from([np.inf, -np.inf, np.nan, 0.0, 1.5]), min_size=size, max_size=size))
    dout = np.array(values).reshape(tuple(run.out.shape))
    assert_same(ours.backward(dout), run.backward(dout), "dx")
    assert_param_grads(ours, run)


# ---------------------------------------------------------------------------------------------------- losses
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_backward_with_no_dloss_is_torchs_implicit_one(name, reduction):
    """``backward(None)``: 1 for a scalar loss (torch's ``loss.backward()``); with 'none' both raise."""
    ours, theirs = twins(name, reduction)
    args = inputs(name)
    run = TorchRun(theirs, args)
    ours(*args)
    if reduction == "none":
        with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
            run.out.backward()
        with pytest.raises(ValueError, match="dloss: .*None"):
            ours.backward(None)
        return
    run.out.backward()
    assert_same(ours.backward(None), run.x.grad.numpy(), "dinput")


@pytest.mark.parametrize(
    "target, words",
    [
        (np.array([0.2, 0.7, 0.1]), ("target:", "integer", "0.2", "not probabilities")),
        (np.full((3, 3), 1 / 3), ("target:", "(3,)", "(3, 3)", "one class index per example")),
    ],
    ids=["probabilities-per-example", "probabilities-per-class"],
)
def test_cross_entropy_with_probabilities_for_labels_raises_naming_target(target, words):
    """torch raises for the first (a float target of shape (N,)) and reads the second as soft labels; dlcourse
    takes class indices only, and says so."""
    logits = inputs("CrossEntropyLoss")[0]
    if target.ndim == 1:
        with pytest.raises(RuntimeError):
            torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(target))
    with pytest.raises(ValueError) as info:
        nn.CrossEntropyLoss()(logits, target)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ------------------------------------------------------------------------------------------------- Flatten
@scaled_settings(60)
@given(
    shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3), start=st.integers(-6, 6), end=st.integers(-6, 6)
)
def test_flatten_reads_dims_as_torch_does(shape, start, end):
    """Negative dims, dims out of range (torch: IndexError), start after end (torch: RuntimeError), 0-d inputs
    (torch: shape (1,)) and empty arrays: the same shape as torch.flatten, or a ValueError naming the dim."""
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = torch.tensor(x, requires_grad=True)
    layer = nn.Flatten(start, end)
    try:
        expected = torch.nn.Flatten(start, end)(t)
    except (IndexError, RuntimeError):
        with pytest.raises(ValueError, match=r"^(start_dim|end_dim): expected"):
            layer(x)
        return
    out = layer(x)
    assert_same(out, expected.detach().numpy(), "output")
    dout = np.arange(out.size, dtype=np.float64).reshape(out.shape)
    expected.backward(torch.tensor(dout))
    assert_same(layer.backward(dout), t.grad.numpy(), "dx")


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: nn.Flatten(1.5), ("start_dim:", "int", "1.5")),
        (lambda: nn.Flatten(end_dim=True), ("end_dim:", "True")),
        (lambda: nn.Flatten(5)(np.zeros((2, 3))), ("start_dim:", "[-2, 1]", "5")),
        (lambda: nn.Flatten(0, -3)(np.zeros((2, 3))), ("end_dim:", "[-2, 1]", "-3")),
        (lambda: nn.Flatten(-1, 0)(np.zeros((2, 3))), ("start_dim:", "end_dim=0", "(2, 3)")),
        (lambda: nn.Flatten()(np.zeros(4)), ("start_dim:", "[-1, 0]", "(4,)")),
        (lambda: nn.LeakyReLU(float("nan")), ("negative_slope:", "nan")),
        (lambda: nn.LeakyReLU("0.1"), ("negative_slope:", "'0.1'")),
    ],
)
def test_constructor_and_dim_errors_name_the_argument(make, words):
    with pytest.raises(ValueError) as info:
        make()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
