"""Delegation caught: an answer that calls the implementation its exercise asks for earns nothing, in the notebook
and in grading alike, whether it calls it by its usual name, by an alias, or hides it behind a try; honest answers
that use other helpers still pass; everything is restored afterwards. The static scan finds the same names in an
exercise cell's source, and finds none in the chapters' own solutions."""

from __future__ import annotations

import contextlib
import io
import linecache
import math

import nbformat
import numpy as np
import pytest
import reference_packages  # noqa: F401 (chapter 12 forbids captum's, lime's and shap's explainers)
import scipy.ndimage
import scipy.optimize
import scipy.signal
import scipy.spatial.distance
import scipy.special
import scipy.stats
import sklearn.calibration  # noqa: F401 (chapter 11 forbids scikit-learn's metrics and splitters)
import sklearn.metrics  # noqa: F401
import sklearn.model_selection  # noqa: F401
import tokenizers.trainers  # noqa: F401 (chapter 16 forbids tokenizers' BPE trainer)
import torch
import torch.func
import torch.nn.utils.prune  # noqa: F401 (chapter 13 forbids torch's pruning)
import torch.utils.data
from test_check_wire import SOLUTIONS, graded_message

import dlcourse.functional as F
import dlcourse.functional.embedding  # noqa: F401 (chapter 16 forbids the embedding kernels)
import dlcourse.functional.top_k  # noqa: F401 (chapter 16 forbids the top-k kernels)
import dlcourse.language.bpe  # noqa: F401 (chapter 16 forbids the BPE trainer)
from dlcourse import data, init, nn
from dlcourse.checks import CheckFailure, ch01, ch02, ch03, ch05, exercises
from dlcourse.checks.delegation import DelegationError, guard, resolve, static_scan, unguarded

SIGMOID = "\u2718 sigmoid: your sigmoid calls {}, the implementation this exercise asks you to write."


def message(check, *answer) -> str:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            check(*answer)
    except CheckFailure as failure:
        return str(failure)
    return printed.getvalue().strip()


def own_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# --------------------------------------------------------------------------------------------- sigmoid
def returns_f_sigmoid(x):
    return F.sigmoid(x)


def through_torch(x):
    return torch.sigmoid(torch.as_tensor(x)).numpy()


def through_a_tensor_method(x):
    return torch.as_tensor(x).sigmoid().numpy()


def through_torch_functional(x):
    return torch.nn.functional.sigmoid(torch.as_tensor(x)).numpy()


def through_scipy(x):
    return scipy.special.expit(x)


def through_a_module(x):
    return nn.Sigmoid()(x)


def hidden_behind_a_try(x):
    try:
        return F.sigmoid(x)
    except Exception:  # the learner's fallback: the call is still caught
        return own_sigmoid(x)


from dlcourse.functional.activations import sigmoid as aliased  # noqa: E402 (bound before any check runs)


def through_an_alias(x):
    return aliased(x)


@pytest.mark.parametrize(
    "answer, name",
    [
        (returns_f_sigmoid, "dlcourse.functional.sigmoid"),
        (through_torch, "torch.sigmoid"),
        (through_a_tensor_method, "torch.Tensor.sigmoid"),
        (through_torch_functional, "torch.nn.functional.sigmoid"),
        (through_scipy, "scipy.special.expit"),
        (through_a_module, "dlcourse.nn.Sigmoid"),
        (hidden_behind_a_try, "dlcourse.functional.sigmoid"),
        (through_an_alias, "dlcourse.functional.sigmoid"),
        (F.sigmoid, "dlcourse.functional.sigmoid"),  # sigmoid = F.sigmoid
        (torch.sigmoid, "torch.sigmoid"),  # sigmoid = torch.sigmoid, a C function
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_a_sigmoid_that_delegates_earns_nothing_in_the_notebook_and_in_grading(answer, name, tmp_path):
    expected = SIGMOID.format(name)
    assert message(ch01.check_sigmoid, answer) == expected
    assert graded_message("01-sigmoid", answer, tmp_path) == expected


def test_everything_is_restored_after_a_check():
    originals = (F.sigmoid.__code__, torch.sigmoid, torch.special.expit, scipy.special.expit)
    for answer in (returns_f_sigmoid, through_a_tensor_method, own_sigmoid, lambda x: 1 / 0):
        message(ch01.check_sigmoid, answer)
        assert (F.sigmoid.__code__, torch.sigmoid, torch.special.expit, scipy.special.expit) == originals
        assert "sigmoid" not in torch.Tensor.__dict__  # the method is torch's own again, not a stand-in
        assert torch.ones(1).sigmoid().item() == pytest.approx(1 / (1 + math.exp(-1)))
        assert F.sigmoid(np.zeros(1)).tolist() == [0.5] and nn.Sigmoid()(np.zeros(1)).tolist() == [0.5]


def test_a_guard_restores_everything_when_its_block_fails():
    with pytest.raises(KeyError), guard(("dlcourse.functional.softmax", "torch.softmax", "torch.Tensor.softmax")):
        with pytest.raises(DelegationError):
            F.softmax(np.zeros(2))
        with pytest.raises(DelegationError):
            torch.ones(2).softmax(0)
        raise KeyError("the learner's own bug")
    assert F.softmax(np.zeros(2)).tolist() == [0.5, 0.5]
    assert torch.ones(2).softmax(0).tolist() == [0.5, 0.5] and torch.softmax(torch.ones(2), 0).tolist() == [0.5, 0.5]


def test_a_guard_watches_only_modules_already_imported_and_names_that_exist():
    assert resolve("no_such_package.sigmoid") is None
    assert resolve("dlcourse.functional.no_such_function") is None
    with guard(("no_such_package.sigmoid", "dlcourse.functional.no_such_function")) as watch:
        assert own_sigmoid(np.zeros(1)).tolist() == [0.5]
    assert watch.hit is None


def test_unguarded_lets_the_librarys_own_answer_through():
    with unguarded():
        assert message(ch01.check_sigmoid, F.sigmoid).startswith("\u2714 sigmoid:")


# --------------------------------------------------------------------------------------------- per exercise
def test_every_forbidden_name_exists():
    """No typo hides a forbidden implementation: every name resolves (their modules are imported above)."""
    for exercise in exercises().values():
        for name in exercise.forbidden:
            assert resolve(name) is not None, f"{exercise.key}: {name}"


def test_softmax_may_not_call_any_softmax():
    for answer, name in [
        (lambda x, dim=-1: F.softmax(x, dim), "dlcourse.functional.softmax"),
        (lambda x, dim=-1: torch.softmax(torch.as_tensor(x), dim).numpy(), "torch.softmax"),
        (lambda x, dim=-1: torch.nn.functional.softmax(torch.as_tensor(x), dim).numpy(), "torch.nn.functional.softmax"),
        (lambda x, dim=-1: scipy.special.softmax(x, axis=dim), "scipy.special.softmax"),
        (lambda x, dim=-1: np.exp(F.log_softmax(x, dim)), "dlcourse.functional.log_softmax"),
    ]:
        assert message(ch01.check_softmax, answer) == (
            f"\u2718 softmax: your softmax calls {name}, the implementation this exercise asks you to write."
        )


def test_honest_answers_that_use_other_helpers_pass():
    def mlp_with_the_librarys_layers(x, params):  # F.linear and F.relu are the bricks, not the MLP
        return F.linear(F.relu(F.linear(x, params["0.weight"], params["0.bias"])), params["2.weight"], params["2.bias"])

    def softmax_with_a_helper(x, dim=-1):
        def shifted(z):
            return z - z.max(axis=dim, keepdims=True)

        e = np.exp(shifted(x))
        return e / e.sum(axis=dim, keepdims=True)

    assert message(ch01.check_mlp_forward, mlp_with_the_librarys_layers).startswith("\u2714")
    assert message(ch01.check_softmax, softmax_with_a_helper).startswith("\u2714")
    assert message(ch01.check_sigmoid, own_sigmoid).startswith("\u2714")

    def epoch_with_the_librarys_batches(model, X, y, *, optimizer, loss_fn, batch_size, rng):
        total = 0.0
        for xb, yb in data.iterate_minibatches(X, y, batch_size, rng=rng):
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            model.backward(loss_fn.backward(1.0))
            optimizer.step()
            total += float(loss) * len(xb)
        return total / len(X)

    assert message(ch03.check_train_epoch, epoch_with_the_librarys_batches).startswith("\u2714")


def test_the_mlp_exercise_forbids_the_librarys_mlp():
    def with_mlp(x, params):
        model = nn.MLP(params["0.weight"].shape[1], [params["0.weight"].shape[0]], params["2.weight"].shape[0])
        model.load_state_dict(params)
        return model(x)

    assert message(ch01.check_mlp_forward, with_mlp) == (
        "\u2718 mlp_forward: your mlp_forward calls dlcourse.nn.MLP, "
        "the implementation this exercise asks you to write."
    )


@pytest.mark.parametrize(
    "check, answer, expected",
    [
        (ch02.check_sigmoid_backward, F.sigmoid_backward, "your sigmoid_backward calls dlcourse.functional.sigmoid_"),
        (
            ch02.check_sigmoid_backward,
            lambda dout, cache: _autograd_sigmoid_grad(dout, cache),
            "your sigmoid_backward calls torch.Tensor.backward",
        ),
        (ch03.check_xavier_uniform, init.xavier_uniform_, "your xavier_uniform_ calls dlcourse.init.xavier_uniform_"),
        (
            ch03.check_kaiming_normal,
            lambda t, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng: torch.nn.init.kaiming_normal_(
                torch.as_tensor(t), a, mode, nonlinearity
            ).numpy(),
            "your kaiming_normal_ calls torch.nn.init.kaiming_normal_",
        ),
        (
            ch05.check_conv2d,
            lambda x, w, b, s=1, p=0: scipy.signal.correlate2d(x[0, 0], w[0, 0]),
            "\u2718 conv2d: your conv2d_naive calls scipy.signal.correlate2d",
        ),
        (
            ch05.check_im2col,
            lambda x, k, s=1, p=0: F.unfold(x, k, s, p),
            "your im2col calls dlcourse.functional.unfold",
        ),
    ],
)
def test_other_exercises_catch_their_own_implementations(check, answer, expected):
    assert expected in message(check, answer)


def _autograd_sigmoid_grad(dout, cache):
    x = torch.tensor(cache.x, requires_grad=True)
    torch.sigmoid(x).backward(torch.as_tensor(dout))
    return x.grad.numpy()


def test_max_pool_names_the_function_that_delegated():
    def forward(x, kernel_size, stride=None):
        return F.max_pool2d_forward(x, kernel_size, stride)

    def backward(dout, cache):
        return F.max_pool2d_backward(dout, cache)

    expected = "\u2718 max_pool2d: your {} calls dlcourse.functional.max_pool2d_{}, the implementation this exercise"
    assert message(ch05.check_max_pool2d, forward, backward).startswith(
        expected.format("max_pool2d_forward", "forward")
    )

    def own_forward(x, kernel_size, stride=None):
        s = kernel_size if stride is None else stride
        n, c, h, w = x.shape
        h2, w2 = (h - kernel_size) // s + 1, (w - kernel_size) // s + 1
        out = np.stack(
            [
                np.stack(
                    [
                        x[:, :, i * s : i * s + kernel_size, j * s : j * s + kernel_size].max(axis=(2, 3))
                        for j in range(w2)
                    ],
                    -1,
                )
                for i in range(h2)
            ],
            -2,
        )
        return out, (x, kernel_size, s)

    assert message(ch05.check_max_pool2d, own_forward, backward).startswith(
        expected.format("max_pool2d_backward", "backward")
    )


# --------------------------------------------------------------------------------------------- static scan
@pytest.mark.parametrize(
    "source, found",
    [
        ("def sigmoid(x):\n    return F.sigmoid(x)\n", ("dlcourse.functional.sigmoid", "sigmoid")),
        (
            "import torch\n\ndef sigmoid(x):\n    return torch.sigmoid(torch.as_tensor(x)).numpy()\n",
            ("torch.sigmoid", "sigmoid"),
        ),
        ("def sigmoid(x):\n    return torch.as_tensor(x).sigmoid().numpy()\n", ("torch.Tensor.sigmoid", "sigmoid")),
        (
            "import torch.nn.functional as F\ndef sigmoid(x):\n    return F.sigmoid(x)\n",
            ("torch.nn.functional.sigmoid", "sigmoid"),
        ),
        ("from scipy.special import expit\ndef sigmoid(x):\n    return expit(x)\n", ("scipy.special.expit", "sigmoid")),
        (
            "from dlcourse.functional.activations import sigmoid as s\ndef sigmoid(x):\n    return s(x)\n",
            ("dlcourse.functional.sigmoid", "sigmoid"),
        ),
        ("sigmoid = torch.sigmoid\n", ("torch.sigmoid", None)),
        (
            "def sigmoid(x):\n    if x.size > 1e9:\n        return nn.Sigmoid()(x)\n    return x\n",
            ("dlcourse.nn.Sigmoid", "sigmoid"),
        ),
        (
            'def sigmoid(x):\n    """Unlike torch.sigmoid"""\n    # not F.sigmoid\n    return 1 / (1 + np.exp(-x))\n',
            None,
        ),
        ("def sigmoid(x):\n    return own(x)\ndef own(x):\n    return np.tanh(x / 2) / 2 + 0.5\n", None),
        ("def sigmoid(x:\n", None),  # does not parse: running it says why
    ],
)
def test_the_static_scan_finds_forbidden_names_by_any_alias(source, found):
    assert static_scan(source, ch01.SIGMOID.forbidden) == found


def test_the_static_scan_words_its_finding_as_the_run_does():
    assert ch01.SIGMOID.static_delegation("def sigmoid(x):\n    return F.sigmoid(x)\n") == SIGMOID.format(
        "dlcourse.functional.sigmoid"
    )
    source = (
        "def max_pool2d_forward(x, k, s=None):\n    pass\n\n"
        "def max_pool2d_backward(dout, cache):\n    return F.max_pool2d_backward(dout, cache)\n"
    )
    assert ch05.MAX_POOL2D.static_delegation(source).startswith(
        "\u2718 max_pool2d: your max_pool2d_backward calls dlcourse.functional.max_pool2d_backward,"
    )
    mlp = (
        "def mlp_forward(x, p):\n"
        "    return F.linear(F.relu(F.linear(x, p['0.weight'], p['0.bias'])), p['2.weight'], p['2.bias'])\n"
    )
    assert ch01.MLP.static_delegation(mlp) is None


def test_no_solution_cell_is_flagged():
    exercise_of = {f"exercise-{key}": exercise for key, exercise in exercises().items()}
    scanned = 0
    for notebook in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            for tag in cell.metadata.get("tags", []):
                if tag in exercise_of:
                    assert exercise_of[tag].static_delegation(cell.source) is None, tag
                    scanned += 1
    assert scanned == len(exercise_of)


def test_in_a_notebook_the_check_scans_the_exercise_cell_too():
    """A forbidden call on a path the check never takes is found in the cell's source, as the grader finds it."""
    source = (
        "import torch\n\n"
        "def sigmoid(x):\n"
        "    if x.size > 10**9:  # never, in the check\n"
        "        return torch.sigmoid(torch.as_tensor(x)).numpy()\n"
        "    e = np.exp(-np.abs(x))\n"
        "    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n"
    )
    filename = "/tmp/ipykernel_0/1234567.py"  # how IPython names a cell's code
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    try:
        exec(compile(source, filename, "exec"), namespace)
        assert message(ch01.check_sigmoid, namespace["sigmoid"]) == SIGMOID.format("torch.sigmoid")
        assert ch01.SIGMOID.static_delegation(source) == SIGMOID.format("torch.sigmoid")
    finally:
        linecache.cache.pop(filename, None)


def test_the_setup_names_the_scan_assumes_are_the_chapters():
    """Every name DEFAULT_ALIASES binds means, in every chapter that imports it, what the scan assumes."""
    import ast

    from dlcourse.checks.delegation import DEFAULT_ALIASES

    seen = set()
    for notebook in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    bound = {
                        a.asname or a.name.split(".")[0]: a.name if a.asname else a.name.split(".")[0]
                        for a in node.names
                    }
                elif isinstance(node, ast.ImportFrom) and node.module:
                    bound = {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
                else:
                    continue
                for name, path in bound.items():
                    if name in DEFAULT_ALIASES:
                        assert DEFAULT_ALIASES[name] == path, f"{notebook.name}: {name} is {path}"
                        seen.add(name)
    assert seen == set(DEFAULT_ALIASES)  # and each of them is a chapter's
