"""Chapter 02's text against the code: every number its prose quotes is recomputed here (the run-dependent ones are
printed by the notebook's own cells instead)."""

from __future__ import annotations

import numpy as np
import torch
from prose import ROOT, chapter_cells, chapter_markdown, quoted_number

from dlcourse import checks, data, nn
from dlcourse import functional as F
from dlcourse.autograd import Tensor
from dlcourse.checks import ch02, rel_error, tolerances
from dlcourse.functional import losses
from dlcourse.viz import gradcheck_plot

TEXT = chapter_markdown("02")
CODE = "\n".join(chapter_cells("02", "code"))


def test_the_clamped_binary_cross_entropy():
    """Section 2.2: logs clamped at -100; the loss of z = -1e4 with target 1 is 1e4, not 100; at |z| = 30 the
    gradient is ten times too small (the clamp of p(1 - p) at 1e-12 acts for |z| > 27.6); the loss at z = 30 is
    30.001, not 30.000; p is within 1e-13 of 1."""
    assert quoted_number(TEXT, r"clamps each log at \$(-\d+)\$") == losses.BCE_LOG_CLAMP
    assert torch.nn.functional.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == 100
    z = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    p = F.sigmoid(z)
    clamped, cache = F.binary_cross_entropy_forward(p, y, reduction="none")
    fused, cache_fused = F.binary_cross_entropy_with_logits_forward(z, y, reduction="none")
    assert "the loss of the logit $-10^4$ with target 1 is $10^4$, not 100" in TEXT
    assert fused[0] == 1e4 and clamped[0] == 100
    grad_clamped = F.binary_cross_entropy_backward(np.ones(5) / 5, cache) * p * (1 - p)
    grad_fused = F.binary_cross_entropy_with_logits_backward(np.ones(5) / 5, cache_fused)
    assert grad_clamped[0] == 0  # the confidently wrong example
    assert "its gradient is ten times too small" in TEXT
    assert np.all(np.round(np.log10(grad_clamped[[1, 3]] / grad_fused[[1, 3]])) == -1)
    assert quoted_number(TEXT, r"the clamp of \$p\(1-p\)\$ at \$10\^\{(-\d+)\}\$") == np.log10(losses.BCE_EPSILON)
    assert quoted_number(TEXT, r"already acts for \$\|z\| > (\d+\.\d)\$") == round(-np.log(losses.BCE_EPSILON), 1)
    assert "(30.001 instead of 30.000)" in TEXT
    assert f"{clamped[3]:.3f}" == "30.001" and f"{fused[3]:.3f}" == "30.000"
    assert quoted_number(TEXT, r"when \$p\$ is within \$10\^\{(-\d+)\}\$ of 1") == -13
    assert 1 - F.sigmoid(30.0) < 1e-13
    assert "which is $\\pm 1/N$ for the two confidently wrong examples" in TEXT
    np.testing.assert_allclose(grad_fused[[0, 4]], [-1 / 5, 1 / 5])


def test_the_fused_cross_entropy_of_huge_logits():
    assert "$-z_{y} + \\mathrm{logsumexp}(\\mathbf z) = 10^4 + 10^4$, so the mean is $2 \\times 10^4$" in TEXT
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3.0, -1e4, 1e4]])
    y = np.array([1, 0, 1])
    assert F.cross_entropy(Z, y) == 2e4
    assert "Z_big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3.0, -1e4, 1e4]])" in CODE


def test_the_graph_of_one_neuron():
    """Section 3: x = 2, w = -1.5, b = 0.5, y = 1: dL/de = 2e = -7, dL/dw = -14; f = aq + a gives q + 1 = 3."""
    assert 'Tensor(2.0, name="x"), Tensor(-1.5, name="w"), Tensor(0.5, name="b"), Tensor(1.0, name="y")' in CODE
    x, w, b, y = 2.0, -1.5, 0.5, 1.0
    e = w * x + b - y
    assert quoted_number(TEXT, r"\\partial L/\\partial e = 2e = (-\d+)\$") == 2 * e
    assert quoted_number(TEXT, r"\\partial u/\\partial w = x = (\d+)\$") == x
    assert quoted_number(TEXT, r"= \(-7\)\(1\)\(1\)\(2\) = (-\d+) \.") == 2 * e * x
    assert quoted_number(TEXT, r"lowers \$L\$ by about \$(\d+)\\epsilon\$") == -2 * e * x
    w_t, x_t, b_t, y_t = Tensor(w), Tensor(x), Tensor(b), Tensor(y)
    ((w_t * x_t + b_t - y_t) ** 2).backward()
    assert w_t.grad == 2 * e * x
    a, q = Tensor(3.0), Tensor(2.0)
    (a * q + a).backward()
    assert quoted_number(TEXT, r"\\partial f/\\partial a = q \+ 1 = (\d+)\$") == a.grad == 3
    assert 'a3, q3 = Tensor(3.0, name="a"), Tensor(2.0, name="q")' in CODE


def test_the_hand_derived_gradients_match_pytorch_to_15_digits():
    """Objectives and section 5: the moons network's gradients by hand equal PyTorch's to float64 rounding; the
    finite differences of section 6 agree to about eight digits in float64 and fail by 100% in float32."""
    assert "get PyTorch's gradients to 15 digits" in TEXT
    X, y = data.make_dataset("moons", n_samples=64, noise=0.1, rng=np.random.default_rng(1))
    model = nn.MLP(2, [16], 2, "tanh", rng=np.random.default_rng(2))
    params = model.state_dict()
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    ours = {p.name: p.grad for p in model.parameters()}
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).double()
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    for name, p in torch_model.named_parameters():
        exact = p.grad.numpy()  # 15 digits of the largest entry
        assert np.abs(ours[name] - exact).max() < 1e-14 * np.abs(exact).max()
    assert quoted_number(TEXT, r"with \$D = (\d+)\$, \$H = 16\$") == X.shape[1]
    assert quoted_number(TEXT, r"\$H = (\d+)\$,\s*\$C = 2\$") == params["0.weight"].shape[0]
    # section 6: finite differences of the loss as a function of the first weight matrix
    W1, b1, W2, b2 = (params[k] for k in ["0.weight", "0.bias", "2.weight", "2.bias"])

    def loss(weight1, dtype):
        cast = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
        return F.cross_entropy(F.tanh(cast(X) @ cast(weight1).T + cast(b1)) @ cast(W2).T + cast(b2), y)

    worst = {}
    for dtype in (np.float64, np.float32):
        numeric = checks.numerical_gradient(lambda W, dtype=dtype: loss(W, dtype), [W1], np.array(1.0), h=1e-6)
        worst[np.dtype(dtype).name] = rel_error(ours["0.weight"], numeric, floor=1e-8).max()
    assert "In float64 the hand-derived gradient agrees to about eight digits" in TEXT
    assert round(-np.log10(worst["float64"])) == 8
    assert 'In float32 the same correct gradient "fails" by 100%' in TEXT
    assert round(worst["float32"], 1) == 1.0


def test_finite_difference_error_model():
    """Section 6: h* ~ 1e-5 with an error of order 1e-11 in float64, h* ~ 1e-2 with an error of order 1e-5 in
    float32, for the sigmoid at x = 1 as for the generic bound eps^(2/3)."""
    assert (
        "$\\varepsilon \\approx 2.2 \\times 10^{-16}$: $h^* \\approx 10^{-5}$ and the error is of order $10^{-11}$"
        in TEXT
    )
    assert (
        "$\\varepsilon \\approx 1.2 \\times 10^{-7}$: $h^* \\approx 10^{-2}$ and the error is at best of order "
        "$10^{-5}$" in TEXT
    )
    study = gradcheck_plot.gradcheck_study("sigmoid", "float64", 1.0, 1e-6)
    for dtype, h_exp, err_exp in (("float64", -5, -11), ("float32", -2, -5)):
        eps = np.finfo(dtype).eps
        assert round(np.log10((3 * eps) ** (1 / 3))) == h_exp
        assert 10.0**err_exp <= eps ** (2 / 3) < 10.0 ** (err_exp + 1)
        model = study.truncation + study.roundoff[dtype]  # the dashed lines of the figure
        assert round(np.log10(study.steps[model.argmin()])) == h_exp
        assert 10.0**err_exp <= model.min() < 10.0 ** (err_exp + 1)
    assert f"{np.finfo(np.float64).eps:.1e}" == "2.2e-16" and f"{np.finfo(np.float32).eps:.1e}" == "1.2e-07"
    assert "In float64 that gives about ten digits; in float32 four or five" in TEXT


def test_float32_at_the_checks_step():
    """Section 6: at h = 1e-6 (the checks' step) float32 is off by about 10%; below h = 6e-8, half the spacing of
    float32 numbers near 1, x + h rounds to x and the estimate is 0."""
    assert quoted_number(
        TEXT, r"In float32 at \$h = 10\^\{(-\d+)\}\$, the step used by this course's checks"
    ) == np.log10(tolerances.FD_STEP)
    study = gradcheck_plot.gradcheck_study("sigmoid", "float32", 1.0, tolerances.FD_STEP)
    assert round(study.rel_error, 1) == 0.1
    assert "the secant's slope is off by about 10%" in TEXT
    assert quoted_number(TEXT, r"below \$h \\approx (\d) \\times 10\^\{-8\}\$") == round(
        np.spacing(np.float32(1)) / 2 * 1e8
    )
    assert gradcheck_plot.gradcheck_study("sigmoid", "float32", 1.0, 5e-8).numerical == 0
    assert "its steps of about $10^{-7}$" in TEXT and round(np.log10(np.spacing(np.float32(1)))) == -7


def test_what_the_checks_accept():
    """Section 6: in float64 with h = 1e-6 a correct gradient gives about 1e-7 or less, a wrong one 1e-2 or more;
    dlcourse.checks passes below 1e-5."""
    assert quoted_number(TEXT, r"In float64 with \$h = 10\^\{(-\d+)\}\$, a correct gradient") == np.log10(
        tolerances.FD_STEP
    )
    assert quoted_number(TEXT, r"`dlcourse.checks` passes below \$10\^\{(-\d+)\}\$") == np.log10(tolerances.FD_RTOL)
    x = np.random.default_rng(0).standard_normal(20)
    f = lambda v: np.sum(F.sigmoid(v) ** 2)  # noqa: E731
    exact = 2 * F.sigmoid(x) ** 2 * (1 - F.sigmoid(x))
    numeric = checks.numerical_gradient(f, [x], np.array(1.0), h=tolerances.FD_STEP)
    assert rel_error(exact, numeric).max() <= 1e-7
    assert rel_error(2 * F.sigmoid(x) * (1 - F.sigmoid(x)), numeric).max() >= 1e-2  # a wrong formula


def test_sin_at_one_and_a_half():
    assert "$\\cos 1.5 \\approx 0.07$" in TEXT and round(np.cos(1.5), 2) == 0.07
    assert "more than ten times larger relative ones" in TEXT and 1 / np.cos(1.5) > 10


def test_the_checks_cover_what_the_exercises_say():
    assert "with finite differences on four arrays, including saturated inputs of $\\pm 10^4$" in TEXT
    cases = ch02.sigmoid_backward_cases()
    assert len(cases) == 4 and max(np.abs(c).max() for c in cases) >= 1e4
    assert "and finite differences for five shapes; the first has $N = $ `in_features` $=$ `out_features`" in TEXT
    cases = ch02.linear_backward_cases()
    assert len(cases) == 5
    first = cases[0]
    assert first["x"].shape[0] == first["weight"].shape[0] == first["weight"].shape[1]
    assert "The check differentiates four functions (including a cross-entropy and a tanh layer" in TEXT
    names = [name for name, *_ in ch02._torch_functions()]
    assert len(names) == 4 and any("cross_entropy" in n for n in names) and any("tanh" in n for n in names)
    assert "finite differences on six broadcasting patterns" in TEXT
    assert len(ch02.mul_cases()) == 6
    assert "for logits of $\\pm 10^4$: compute log-probabilities" in TEXT
    assert max(np.abs(z).max() for z, _ in ch02.cross_entropy_cases()) >= 1e4


def test_the_autograd_engine_is_about_400_lines():
    assert "`dlcourse.autograd` is such an engine in about 400 lines" in TEXT
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "dlcourse" / "autograd").glob("*.py"))
    assert 350 <= lines <= 450


def test_the_training_loops_take_the_steps_the_text_says():
    assert "The same 300 steps with `torch.optim.SGD`" in TEXT and "lr, steps = 0.5, 300" in CODE
    assert "to 50 noisy points" in TEXT and "size=50)" in CODE


def test_an_all_ones_upstream_gradient_hides_softmax_bugs():
    """Section 4.1: with dout = 1 everywhere, the correct softmax backward is exactly 0 (each row of s sums to 1)."""
    assert "with it, the correct softmax backward is exactly 0" in TEXT
    x = np.random.default_rng(0).standard_normal((4, 5))
    dx = F.softmax_backward(np.ones((4, 5)), F.softmax_forward(x, dim=1)[1])
    assert np.abs(dx).max() < 1e-15


def test_messages_print_twice_the_finite_difference_tolerance():
    text = chapter_markdown("02")
    shown = quoted_number(text, r"about twice this measure for small errors, against \$2 \\times 10\^\{(-\d+)\}\$")
    assert 2 * 10**shown == checks.compare.shown_tolerance(tolerances.FD_RTOL)
