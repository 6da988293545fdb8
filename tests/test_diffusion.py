"""Chapter 17's diffusion kernels: the NumPy functions of dlcourse.diffusion equal their PyTorch twins and
independent PyTorch formulas in float64 over shapes and schedules drawn by hypothesis; gradients equal finite
differences; the closed form equals the composed steps; the samplers do what their algorithms say; bad input is a
ValueError naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import diffusion as D
from dlcourse.checks import tolerances as tol
from dlcourse.checks.compare import rel_error
from dlcourse.diffusion import torch_twin as TT


def close(got, expected, rtol=tol.REFERENCE_RTOL):
    err = np.max(rel_error(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)))
    assert err <= rtol, f"relative error {err:.1e} > {rtol:.0e}"


@st.composite
def setting(draw, min_t: int = 0):
    """betas (T,) (linear, cosine or random), data x (N, *), noise of the same shape, and steps t (N,)."""
    T = draw(st.integers(2, 30))
    kind = draw(st.sampled_from(["linear", "cosine", "random"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    betas = {
        "linear": lambda: D.linear_betas(T),
        "cosine": lambda: D.cosine_betas(T),
        "random": lambda: np.sort(rng.uniform(1e-3, 0.5, T)),
    }[kind]()
    n = draw(st.integers(1, 6))
    tail = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    shape = (n, *tail)
    return betas, rng.standard_normal(shape), rng.standard_normal(shape), rng.integers(min_t, T + 1, n), rng


# ---------------------------------------------------------------------------------------------- schedules
def test_linear_schedule_is_ho_et_al_at_1000_steps_and_scaled_otherwise():
    b = D.linear_betas(1000)
    assert b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.02) and len(b) == 1000
    b100 = D.linear_betas(100)
    assert b100[0] == pytest.approx(1e-3) and b100[-1] == pytest.approx(0.2)
    assert D.alpha_bars(b100)[-1] < 1e-4  # the short chain destroys the data too


@given(st.integers(1, 2000))
@scaled_settings(10)
def test_schedules_equal_torch(T):
    close(D.linear_betas(T), TT.linear_betas(T).numpy())
    close(D.cosine_betas(T), TT.cosine_betas(T).numpy())
    close(D.alpha_bars(D.cosine_betas(T)), TT.alpha_bars(TT.cosine_betas(T)).numpy())


def test_cosine_schedule_follows_its_alpha_bar():
    T, s = 50, 0.008
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    ab = D.alpha_bars(D.cosine_betas(T, max_beta=1.0 - 1e-12))
    np.testing.assert_allclose(ab[:-1], (f / f[0])[:-1], rtol=1e-12)
    assert D.cosine_betas(T).max() <= 0.999


def test_posterior_variance_is_zero_at_the_first_step_and_below_beta():
    b = D.linear_betas(50)
    pv = D.posterior_variances(b)
    assert pv[0] == 0.0 and np.all(pv[1:] < b[1:]) and np.all(pv[1:] > 0)


# ---------------------------------------------------------------------------------------------- forward process
@given(setting())
@scaled_settings(25)
def test_q_sample_equals_torch_twin_and_formula(case):
    betas, x0, eps, t, _ = case
    got = D.q_sample(x0, t, eps, betas)
    close(got, TT.q_sample(torch.tensor(x0), torch.tensor(t), torch.tensor(eps), torch.tensor(betas)).numpy())
    ab = torch.cumprod(1 - torch.tensor(betas), 0)
    for i, ti in enumerate(t):
        a = torch.tensor(1.0, dtype=torch.float64) if ti == 0 else ab[ti - 1]
        close(got[i], (a.sqrt() * torch.tensor(x0[i]) + (1 - a).sqrt() * torch.tensor(eps[i])).numpy())


@given(setting())
@scaled_settings(15)
def test_closed_form_mean_is_the_composed_steps_without_noise(case):
    """With zero noise every step only scales: t steps multiply x0 by sqrt(abar_t), the closed form's mean."""
    betas, x0, _, t, _ = case
    x = x0.copy()
    for s in range(1, len(betas) + 1):
        x = D.q_step(x, s, np.zeros_like(x), betas)
        close(x, D.q_sample(x0, s, np.zeros_like(x0), betas))


def test_closed_form_equals_sequential_steps_in_distribution():
    """Seeded: 100,000 chains of 30 steps against 100,000 closed-form draws; means and variances within 6 standard
    errors of the theory."""
    rng = np.random.default_rng(0)
    betas = D.linear_betas(30)
    x0 = np.full((100_000, 1), 1.5)
    x = x0.copy()
    for s in range(1, 31):
        x = D.q_step(x, s, rng.standard_normal(x.shape), betas)
    closed = D.q_sample(x0, 30, rng.standard_normal(x0.shape), betas)
    ab = D.alpha_bars(betas)[30]
    for sample in (x, closed):
        se = np.sqrt((1 - ab) / len(sample))
        assert abs(sample.mean() - np.sqrt(ab) * 1.5) < 6 * se
        assert abs(sample.var() - (1 - ab)) < 6 * (1 - ab) * np.sqrt(2 / len(sample))


@given(setting(min_t=1))
@scaled_settings(20)
def test_score_and_predicted_x0_equal_torch(case):
    betas, x_t, eps_hat, t, _ = case
    bt = torch.tensor(betas)
    close(D.score_from_eps(eps_hat, t, betas), TT.score_from_eps(torch.tensor(eps_hat), torch.tensor(t), bt).numpy())
    x0 = D.predict_x0(x_t, t, eps_hat, betas)
    close(D.q_sample(x0, t, eps_hat, betas), x_t)  # predict_x0 inverts q_sample


# ---------------------------------------------------------------------------------------------- reverse steps
@given(setting(min_t=1), st.sampled_from(["beta", "posterior"]))
@scaled_settings(25)
def test_ddpm_step_equals_torch(case, variance):
    betas, x_t, eps_hat, t, rng = case
    z = rng.standard_normal(x_t.shape)
    step = int(t[0])
    got = D.ddpm_step(x_t, step, eps_hat, z, betas, variance)
    bt = torch.tensor(betas)
    twin = TT.ddpm_step(torch.tensor(x_t), step, torch.tensor(eps_hat), torch.tensor(z), bt, variance)
    close(got, twin.numpy())
    a, ab = 1 - bt[step - 1], torch.cumprod(1 - bt, 0)[step - 1]
    mean = (torch.tensor(x_t) - (1 - a) / (1 - ab).sqrt() * torch.tensor(eps_hat)) / a.sqrt()
    if step == 1:
        close(got, mean.numpy())


@given(setting(min_t=1), st.data())
@scaled_settings(25)
def test_ddim_step_equals_torch(case, data):
    betas, x_t, eps_hat, t, _ = case
    step = data.draw(st.integers(1, len(betas)))
    s = data.draw(st.integers(0, step - 1))
    got = D.ddim_step(x_t, step, s, eps_hat, betas)
    close(got, TT.ddim_step(torch.tensor(x_t), step, s, torch.tensor(eps_hat), torch.tensor(betas)).numpy())
    if s == 0:
        close(got, D.predict_x0(x_t, step, eps_hat, betas))


def test_ddim_with_the_true_noise_returns_to_the_data():
    """For data that is one point x*, the optimal noise prediction is (x - sqrt(abar) x*) / sqrt(1 - abar): DDIM then
    lands exactly on x*, from any start and with any number of steps."""
    betas = D.cosine_betas(40)
    ab = D.alpha_bars(betas)
    target = np.array([0.7, -1.2])

    def oracle(x, t):
        a = ab[t][:, None]
        return (x - np.sqrt(a) * target) / np.sqrt(1 - a)

    x_T = np.random.default_rng(0).standard_normal((5, 2))
    for n in (1, 3, 40):
        np.testing.assert_allclose(D.ddim_sample(oracle, x_T, betas, n).x0, np.tile(target, (5, 1)), atol=1e-9)


def test_ddpm_sample_is_algorithm_2():
    betas = D.linear_betas(12)
    x_T = np.random.default_rng(1).standard_normal((4, 3))

    def eps_fn(x, t):
        return np.tanh(x) * t[:, None] / 12

    result = D.ddpm_sample(eps_fn, x_T, betas, rng=7, keep=True)
    rng, x = np.random.default_rng(7), x_T
    for t in range(12, 0, -1):
        z = rng.standard_normal(x.shape)
        x = D.ddpm_step(x, t, eps_fn(x, np.full(4, t)), z, betas)
    np.testing.assert_array_equal(result.x0, x)
    assert result.trajectory.shape == (13, 4, 3) and result.predicted_x0.shape == (12, 4, 3)
    np.testing.assert_array_equal(result.trajectory[0], x_T)
    np.testing.assert_array_equal(result.steps, np.arange(12, -1, -1))
    np.testing.assert_array_equal(D.ddpm_sample(eps_fn, x_T, betas, rng=7).x0, x)


def test_ddim_steps_are_evenly_spaced_and_complete():
    np.testing.assert_array_equal(D.ddim_steps(100, 4), [100, 75, 50, 25, 0])
    np.testing.assert_array_equal(D.ddim_steps(7, 7), np.arange(7, -1, -1))


# ---------------------------------------------------------------------------------------------- loss and network
@given(setting())
@scaled_settings(20)
def test_denoising_loss_and_gradient_equal_torch(case):
    _, eps_hat, eps, _, _ = case
    loss, cache = D.denoising_loss_forward(eps_hat, eps)
    e = torch.tensor(eps_hat, requires_grad=True)
    loss_t = torch.nn.functional.mse_loss(e, torch.tensor(eps))
    loss_t.backward()
    close(loss, loss_t.item())
    close(D.denoising_loss_backward(1.0, cache), e.grad.numpy())
    close(D.denoising_loss_backward(2.5, cache), 2.5 * e.grad.numpy())


@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.sampled_from([2, 4, 8]))
@scaled_settings(10)
def test_noise_mlp_loss_gradients_equal_torch_autograd(seed, n, embed_dim):
    rng = np.random.default_rng(seed)
    model = D.NoiseMLP(
        3, hidden=(7, 5), embed_dim=embed_dim, activation="tanh", max_period=[10000.0, 100.0][seed % 2], rng=seed
    )
    twin = TT.noise_mlp_to_torch(model)
    x, t, eps = rng.standard_normal((n, 3)), rng.integers(0, 50, n), rng.standard_normal((n, 3))
    out = model(x, t)
    loss, cache = D.denoising_loss_forward(out, eps)
    dx = model.backward(D.denoising_loss_backward(1.0, cache))
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.mse_loss(twin(xt, torch.tensor(t)), torch.tensor(eps))
    loss_t.backward()
    close(loss, loss_t.item())
    close(dx, xt.grad.numpy())
    grads = dict(twin.net.named_parameters())
    for p in model.parameters():
        close(p.grad, grads[p.name.removeprefix("mlp.")].grad.numpy())


def test_noise_mlp_gradients_equal_finite_differences():
    rng = np.random.default_rng(3)
    model = D.NoiseMLP(2, hidden=(6,), embed_dim=4, activation="tanh", rng=0)
    x, t, eps = rng.standard_normal((5, 2)), rng.integers(1, 20, 5), rng.standard_normal((5, 2))

    def loss_at():
        return D.denoising_loss_forward(model(x, t), eps)[0]

    model.zero_grad()
    _, cache = D.denoising_loss_forward(model(x, t), eps)
    model.backward(D.denoising_loss_backward(1.0, cache))
    h = tol.FD_STEP
    for p in model.parameters():
        numeric = np.zeros_like(p.data)
        for idx in np.ndindex(p.data.shape):
            old = p.data[idx]
            p.data[idx] = old + h
            up = loss_at()
            p.data[idx] = old - h
            down = loss_at()
            p.data[idx] = old
            numeric[idx] = (up - down) / (2 * h)
        close(p.grad, numeric, tol.FD_RTOL)


@given(st.integers(0, 2**32 - 1), st.sampled_from([2, 6, 16]))
@scaled_settings(10)
def test_time_embedding_equals_torch(seed, dim):
    t = np.random.default_rng(seed).integers(0, 1000, 7)
    close(D.time_embedding(t, dim), TT.time_embedding(torch.tensor(t), dim).numpy())


def test_training_lowers_the_loss_seeded():
    from dlcourse.data.synthetic import make_gaussian_ring

    X, _ = make_gaussian_ring(500, n_modes=4, radius=1.0, std=0.1, rng=0)
    model = D.NoiseMLP(2, hidden=(32, 32), embed_dim=8, rng=0)
    losses = D.train_denoiser(model, X, D.linear_betas(50), steps=400, batch_size=64, lr=3e-3, rng=0)
    assert losses.shape == (400,) and losses[-100:].mean() < 0.8 * losses[:50].mean()


# ---------------------------------------------------------------------------------------------- exact score
def test_gaussian_mixture_score_equals_torch_autograd_of_the_log_density():
    rng = np.random.default_rng(0)
    means, std, weights = rng.standard_normal((3, 2)), 0.3, np.array([0.2, 0.5, 0.3])
    x = rng.standard_normal((10, 2)) * 2
    for ab in (1.0, 0.7, 0.05):
        xt = torch.tensor(x, requires_grad=True)
        centres = np.sqrt(ab) * torch.tensor(means)
        v = ab * std**2 + 1 - ab
        log_p = torch.logsumexp(
            torch.log(torch.tensor(weights)) - ((xt[:, None, :] - centres[None]) ** 2).sum(-1) / (2 * v), dim=1
        )
        log_p.sum().backward()
        close(D.gaussian_mixture_score(x, means, std, weights, ab), xt.grad.numpy())


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: D.linear_betas(0), "T: expected a positive integer"),
        (lambda: D.cosine_betas(10, s=-1.0), "s: expected"),
        (lambda: D.alpha_bars([0.1, 1.0]), "betas: expected a non-empty 1-D array of values in (0, 1)"),
        (lambda: D.q_sample(np.zeros((3, 2)), 11, np.zeros((3, 2)), D.linear_betas(10)), "t: expected steps from 0"),
        (lambda: D.q_sample(np.zeros((3, 2)), [1, 2], np.zeros((3, 2)), D.linear_betas(10)), "t: expected one step"),
        (lambda: D.q_sample(np.zeros((3, 2)), 1.5, np.zeros((3, 2)), D.linear_betas(10)), "t: expected an integer"),
        (lambda: D.q_sample(np.zeros((3, 2)), 1, np.zeros((3, 3)), D.linear_betas(10)), "eps: expected the shape"),
        (lambda: D.ddpm_step(np.zeros((3, 2)), 0, np.zeros((3, 2)), np.zeros((3, 2)), [0.1]), "t: expected an integer"),
        (
            lambda: D.ddpm_step(np.zeros((1, 2)), 1, np.zeros((1, 2)), np.zeros((1, 2)), [0.1], "sigma"),
            "variance: expected one of",
        ),
        (
            lambda: D.ddim_step(np.zeros((1, 2)), 3, 3, np.zeros((1, 2)), [0.1] * 5),
            "s: expected an integer from 0 to 2",
        ),
        (lambda: D.score_from_eps(np.zeros((2, 2)), 0, [0.1, 0.2]), "t: expected steps from 1"),
        (lambda: D.time_embedding([1, 2], 3), "dim: expected an even number"),
        (lambda: D.NoiseMLP(2, embed_dim=3), "embed_dim: expected an even number"),
        (lambda: D.NoiseMLP(2, max_period=0.5), "max_period: expected a number >= 1.0"),
        (lambda: D.NoiseMLP(2, rng=0)(np.zeros((2, 3)), [1, 1]), "x: expected shape (N, 2)"),
        (lambda: D.denoising_loss_backward(1.0, None), "cache: expected the cache returned by denoising_loss_forward"),
        (lambda: D.ddim_steps(10, 11), "n_steps: expected an integer from 1 to 10"),
        (lambda: D.ddpm_sample(lambda x, t: x, np.zeros((2, 2)), [0.1]), "rng: DDPM sampling needs"),
        (lambda: D.ddim_sample(lambda x, t: x[:, :1], np.zeros((2, 2)), [0.1], 1), "eps_fn: expected a prediction"),
        (lambda: D.gaussian_mixture_score(np.zeros((2, 2)), np.zeros((3, 3)), 0.1), "means: expected shape (K, 2)"),
        (lambda: D.gaussian_mixture_score(np.zeros((2, 2)), np.zeros((2, 2)), 0.0), "std: expected a positive"),
        (
            lambda: D.gaussian_mixture_score(np.zeros((2, 2)), np.zeros((2, 2)), 0.1, [0.5, 0.6]),
            "weights: expected 2 positive numbers summing to 1",
        ),
        (
            lambda: D.train_denoiser(D.NoiseMLP(2, rng=0), np.zeros((4, 2)), [0.1], steps=1),
            "rng: training needs",
        ),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value), str(info.value)
