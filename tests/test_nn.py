"""dlcourse.nn modules against torch.nn in float64: forward, backward, parameter names, accumulation, state dicts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import (
    binary_batch,
    classification_batch,
    module_inputs,
    negative_slopes,
    reductions,
    scaled_settings,
    seeds,
)

from dlcourse import nn
from dlcourse.checks import rel_error, tolerances

RTOL = tolerances.REFERENCE_RTOL


def assert_close(got, expected, what=""):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    err = float(rel_error(got, expected).max(initial=0.0))
    assert err <= RTOL, f"{what}: relative error {err:.2e} > {RTOL:.0e}"


def torch_grads(tmodel, x, dout):
    """dL/dx and dL/dparam by name for L = sum(dout * tmodel(x)), in float64."""
    tx = torch.tensor(x, requires_grad=True)
    out = tmodel(tx)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy(), {k: p.grad.numpy().copy() for k, p in tmodel.named_parameters()}


def twin(layers):
    """The same network twice: (dlcourse Sequential, torch Sequential in float64) with torch's weights copied."""
    ours = nn.Sequential(*[mine for mine, _ in layers])
    theirs = torch.nn.Sequential(*[t for _, t in layers]).double()
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def every_layer_kind(d_in=3, slope=0.2):
    return [
        (nn.Linear(d_in, 5, rng=0), torch.nn.Linear(d_in, 5)),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Linear(5, 4, rng=1), torch.nn.Linear(5, 4)),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Linear(4, 6, bias=False, rng=2), torch.nn.Linear(4, 6, bias=False)),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.Linear(6, 4, rng=3), torch.nn.Linear(6, 4)),
        (nn.LeakyReLU(slope), torch.nn.LeakyReLU(slope)),
        (nn.Identity(), torch.nn.Identity()),
        (nn.Linear(4, 3, rng=4), torch.nn.Linear(4, 3)),
        (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    ]


# ------------------------------------------------------------------------------------ names and state dict
def test_parameter_names_match_torch_sequential_exactly():
    ours, theirs = twin(every_layer_kind())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [p.name for p in ours.parameters()] == [name for name, _ in theirs.named_parameters()]
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_named_parameters_yields_name_parameter_pairs_like_torch():
    ours, theirs = twin(every_layer_kind())
    pairs = list(ours.named_parameters())
    assert [name for name, _ in pairs] == [name for name, _ in theirs.named_parameters()]
    for (name, p), q in zip(pairs, ours.parameters()):
        assert isinstance(p, nn.Parameter) and p.name == name and p == q and p.data is q.data
    t_shapes = {name: tuple(p.shape) for name, p in theirs.named_parameters()}
    assert {name: p.data.shape for name, p in ours.named_parameters()} == t_shapes
    assert list(ours[0].named_parameters()) == list(ours[0].named_parameters(prefix=""))
    assert [name for name, _ in ours[0].named_parameters(prefix="0.")] == ["0.weight", "0.bias"]


def test_parameters_of_the_same_array_are_the_same_parameter():
    """Each call makes new Parameter objects; they compare and hash by the array they hold (torch: one tensor)."""
    model = nn.Linear(2, 3, rng=0)
    a, b = model.parameters(), model.parameters()
    assert a == b and len({*a, *b}) == 2 and {a[0]: "weight"}[b[0]] == "weight"
    assert a[0] != a[1] and a[0] != nn.Linear(2, 3, rng=0).parameters()[0]


@pytest.mark.parametrize(
    "activation, torch_cls",
    [
        ("relu", torch.nn.ReLU),
        ("tanh", torch.nn.Tanh),
        ("sigmoid", torch.nn.Sigmoid),
        ("leaky_relu", torch.nn.LeakyReLU),
        ("identity", torch.nn.Identity),
    ],
)
def test_mlp_is_the_torch_sequential_it_names(activation, torch_cls):
    ours = nn.MLP(2, [8, 6], 3, activation, rng=0)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 8), torch_cls(), torch.nn.Linear(8, 6), torch_cls(), torch.nn.Linear(6, 3)
    ).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    for name, value in theirs.state_dict().items():
        assert ours.state_dict()[name].shape == tuple(value.shape)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((7, 2))
    dout = np.random.default_rng(1).standard_normal((7, 3))
    out, dx, grads = torch_grads(theirs, x, dout)
    assert_close(ours(x), out, "MLP output")
    assert_close(ours.backward(dout), dx, "MLP dx")
    for p in ours.parameters():
        assert_close(p.grad, grads[p.name], p.name)


def test_mlp_is_a_sequential_class():
    model = nn.MLP(3, [4, 5], 2, "tanh", rng=0)
    assert isinstance(model, nn.MLP) and isinstance(model, nn.Sequential) and isinstance(model, nn.Module)
    assert not isinstance(nn.Sequential(nn.Linear(3, 2, rng=0)), nn.MLP)
    assert [type(m) for m in model] == [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh, nn.Linear]
    assert list(model._modules) == ["0", "1", "2", "3", "4"] and model[2] is list(model)[2]
    assert len(model.forward_all(np.zeros((1, 3)))) == 5 and repr(model).startswith("MLP(\n  (0): Linear(")
    same = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 5, rng=0), nn.Tanh(), nn.Linear(5, 2))
    assert list(same.state_dict()) == list(model.state_dict())
    with pytest.raises(ValueError, match="^activation: expected one of"):
        nn.MLP(3, [4], 2, "swish")


def test_mlp_without_hidden_layers_is_one_linear():
    ours = nn.MLP(4, [], 2, rng=0)
    assert len(ours) == 1 and isinstance(ours[0], nn.Linear)
    assert list(ours.state_dict()) == ["0.weight", "0.bias"]


def test_state_dict_round_trip_and_copies():
    model = nn.MLP(3, [4], 2, "tanh", rng=0)
    saved = model.state_dict()
    original = {k: v.copy() for k, v in saved.items()}
    saved["0.weight"][...] = 99.0  # the returned arrays are copies, not the parameters
    assert not np.any(model.state_dict()["0.weight"] == 99.0)
    saved["0.weight"][...] = original["0.weight"]
    for p in model.parameters():  # change every parameter, then restore
        p.data += 1.0
    model.load_state_dict(saved)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, original[name])
    other = nn.MLP(3, [4], 2, "tanh", rng=1)
    other.load_state_dict(model.state_dict())
    x = np.random.default_rng(2).standard_normal((5, 3))
    assert np.array_equal(other(x), model(x))


def test_load_state_dict_writes_in_place():
    """An optimizer holds the parameter arrays, so loading must not replace them."""
    model = nn.Linear(3, 2, rng=0)
    before = model.parameters()[0].data
    model.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert model.parameters()[0].data is before and np.array_equal(before, np.ones((2, 3)))


def test_load_state_dict_rejects_wrong_keys_naming_them():
    model = nn.MLP(3, [4], 2, rng=0)
    state = model.state_dict()
    state["2.bais"] = state.pop("2.bias")
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    assert "2.bias" in str(info.value) and "2.bais" in str(info.value)
    with pytest.raises(ValueError, match=r"0\.bias"):
        model.load_state_dict({k: v for k, v in model.state_dict().items() if k != "0.bias"})


def test_load_state_dict_rejects_wrong_shapes_naming_them():
    model = nn.MLP(3, [4], 2, rng=0)
    state = model.state_dict()
    state["0.weight"] = np.zeros((3, 4))  # transposed
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "0.weight" in message and "(4, 3)" in message and "(3, 4)" in message


def test_load_state_dict_takes_torch_tensors_with_grad():
    theirs = torch.nn.Linear(3, 2).double()
    ours = nn.Linear(3, 2, rng=0)
    ours.load_state_dict(dict(theirs.named_parameters()))  # Parameters that require grad
    assert np.array_equal(ours.params["weight"], theirs.weight.detach().numpy())


# -------------------------------------------------------------------------------------- forward/backward
@scaled_settings(25)
@given(x=module_inputs(features=3), slope=negative_slopes, seed=seeds)
def test_every_module_kind_matches_torch(x, slope, seed):
    """Forward and backward of a Sequential holding every module kind, on 1-D to 3-D inputs of 3 features."""
    torch.manual_seed(seed % 2**31)
    ours, theirs = twin(every_layer_kind(slope=slope))
    dout = np.random.default_rng(seed).standard_normal((*x.shape[:-1], 3))
    out, dx, grads = torch_grads(theirs, x, dout)
    assert_close(ours(x), out, "output")
    assert_close(ours.backward(dout), dx, "dx")
    for p in ours.parameters():
        assert_close(p.grad, grads[p.name], p.name)


ACTIVATION_MODULES = [
    (nn.Sigmoid, torch.nn.Sigmoid, {}),
    (nn.Tanh, torch.nn.Tanh, {}),
    (nn.ReLU, torch.nn.ReLU, {}),
    (nn.LeakyReLU, torch.nn.LeakyReLU, {}),
    (nn.LeakyReLU, torch.nn.LeakyReLU, {"negative_slope": 0.3}),
    (nn.Softmax, torch.nn.Softmax, {"dim": 0}),
    (nn.Softmax, torch.nn.Softmax, {"dim": 1}),
    (nn.Identity, torch.nn.Identity, {}),
]


@pytest.mark.parametrize(
    "ours_cls, torch_cls, kwargs", ACTIVATION_MODULES, ids=[f"{c.__name__}{k}" for c, _, k in ACTIVATION_MODULES]
)
def test_activation_modules_alone(ours_cls, torch_cls, kwargs):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, (4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # away from the ReLU kink
    dout = rng.standard_normal((4, 5))
    ours = ours_cls(**kwargs)
    out, dx, _ = torch_grads(torch_cls(**kwargs), x, dout)
    assert_close(ours(x), out, "output")
    assert_close(ours.backward(dout), dx, "dx")
    assert ours.parameters() == []


def test_linear_module_on_1d_and_3d_input():
    theirs = torch.nn.Linear(4, 3).double()
    ours = nn.Linear(4, 3, rng=0)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(4)
    for shape in [(4,), (2, 5, 4)]:
        x = rng.standard_normal(shape)
        dout = rng.standard_normal((*shape[:-1], 3))
        ours.zero_grad()
        theirs.zero_grad()
        out, dx, grads = torch_grads(theirs, x, dout)
        assert_close(ours(x), out, f"output {shape}")
        assert_close(ours.backward(dout), dx, f"dx {shape}")
        assert_close(ours.grads["weight"], grads["weight"], "dweight")
        assert_close(ours.grads["bias"], grads["bias"], "dbias")


def test_gradients_accumulate_until_zero_grad_like_torch():
    torch.manual_seed(0)
    ours, theirs = twin(
        [
            (nn.Linear(3, 4, rng=0), torch.nn.Linear(3, 4)),
            (nn.Tanh(), torch.nn.Tanh()),
            (nn.Linear(4, 2, rng=1), torch.nn.Linear(4, 2)),
        ]
    )
    rng = np.random.default_rng(5)
    for step in range(3):  # three backward passes, no zero_grad in between
        x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
        ours(x)
        ours.backward(dout)
        theirs(torch.tensor(x)).backward(torch.tensor(dout))
    torch_by_name = dict(theirs.named_parameters())
    for p in ours.parameters():
        assert_close(p.grad, torch_by_name[p.name].grad.numpy(), f"accumulated {p.name}")
        assert np.any(p.grad != 0)
    ours.zero_grad()
    assert all(np.all(p.grad == 0) for p in ours.parameters())
    # the next backward starts from zero again
    x, dout = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    theirs.zero_grad()
    _, _, grads = torch_grads(theirs, x, dout)
    ours(x)
    ours.backward(dout)
    for p in ours.parameters():
        assert_close(p.grad, grads[p.name], p.name)


def test_parameters_share_memory_with_the_module():
    model = nn.Linear(2, 2, rng=0)
    for p in model.parameters():
        p.data -= 1.0
        p.grad += 2.0
    assert np.array_equal(model.grads["weight"], np.full((2, 2), 2.0))
    assert model.params["weight"] is model.parameters()[0].data


# ------------------------------------------------------------------------------------------------ losses
LOSSES = {
    "MSELoss": (nn.MSELoss, torch.nn.MSELoss),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@scaled_settings(20)
@given(batch=binary_batch(), reduction=reductions)
def test_elementwise_loss_modules_match_torch(name, batch, reduction):
    ours_cls, torch_cls = LOSSES[name]
    inp, target = batch  # targets in [0, 1] suit both losses
    loss_fn = ours_cls(reduction=reduction)
    t_inp = torch.tensor(inp, requires_grad=True)
    t_loss = torch_cls(reduction=reduction)(t_inp, torch.tensor(target))
    dloss = np.random.default_rng(0).standard_normal(t_loss.shape)
    t_loss.backward(torch.tensor(dloss))
    assert_close(loss_fn(inp, target), t_loss.detach().numpy(), "loss")
    assert_close(loss_fn.backward(dloss), t_inp.grad.numpy(), "dinput")


@scaled_settings(20)
@given(batch=classification_batch(), reduction=reductions)
def test_cross_entropy_loss_module_matches_torch(batch, reduction):
    logits, labels = batch
    t_inp = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.CrossEntropyLoss(reduction=reduction)(t_inp, torch.tensor(labels))
    dloss = np.random.default_rng(0).standard_normal(t_loss.shape)
    t_loss.backward(torch.tensor(dloss))
    loss_fn = nn.CrossEntropyLoss(reduction=reduction)
    assert_close(loss_fn(logits, labels), t_loss.detach().numpy(), "loss")
    assert_close(loss_fn.backward(dloss), t_inp.grad.numpy(), "dinput")


def test_loss_backward_defaults_to_dloss_one():
    logits, labels = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]]), np.array([2, 0])
    t = torch.tensor(logits, requires_grad=True)
    torch.nn.CrossEntropyLoss()(t, torch.tensor(labels)).backward()
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(logits, labels)
    assert_close(loss_fn.backward(), t.grad.numpy(), "dinput")


def test_model_and_loss_train_together_like_torch():
    """One full forward/backward of MLP + CrossEntropyLoss equals torch's parameter gradients."""
    torch.manual_seed(1)
    ours, theirs = twin(
        [
            (nn.Linear(2, 5, rng=0), torch.nn.Linear(2, 5)),
            (nn.ReLU(), torch.nn.ReLU()),
            (nn.Linear(5, 3, rng=1), torch.nn.Linear(5, 3)),
        ]
    )
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((8, 2)), rng.integers(0, 3, 8)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(ours(x), y)
    ours.backward(loss_fn.backward(1.0))
    t_loss = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y))
    t_loss.backward()
    assert_close(loss, t_loss.item(), "loss")
    for name, p in theirs.named_parameters():
        assert_close(dict((q.name, q.grad) for q in ours.parameters())[name], p.grad.numpy(), name)


# ---------------------------------------------------------------------------------------------- Linear init
def test_linear_init_has_torchs_bounds_and_distribution():
    in_features, out_features = 50, 400
    bound = 1 / np.sqrt(in_features)
    layer = nn.Linear(in_features, out_features, rng=0)
    w, b = layer.params["weight"], layer.params["bias"]
    assert w.shape == (out_features, in_features) and b.shape == (out_features,)
    assert w.dtype == np.float64 and b.dtype == np.float64
    for values in (w, b):
        assert np.all(np.abs(values) <= bound)
        assert values.max() > 0.95 * bound and values.min() < -0.95 * bound  # fills the interval
    # uniform on [-bound, bound]: mean 0, standard deviation bound / sqrt(3)
    assert abs(w.mean()) < 0.02 * bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)
    # torch's own default init lies within the same bounds
    t = torch.nn.Linear(in_features, out_features)
    t_w, t_b = t.weight.detach().abs().max().item(), t.bias.detach().abs().max().item()
    assert 0.95 * bound < t_w <= bound and t_b <= bound


@given(seed=seeds)
@scaled_settings(10)
def test_linear_init_reproducible_from_a_seeded_rng(seed):
    a = nn.Linear(4, 3, rng=np.random.default_rng(seed))
    b = nn.Linear(4, 3, rng=np.random.default_rng(seed))
    c = nn.Linear(4, 3, rng=np.random.default_rng(seed + 1))
    d = nn.Linear(4, 3, rng=seed)  # an int seed is the same as default_rng(seed)
    for name in ("weight", "bias"):
        assert np.array_equal(a.params[name], b.params[name])
        assert np.array_equal(a.params[name], d.params[name])
        assert not np.array_equal(a.params[name], c.params[name])
    assert not np.array_equal(
        nn.MLP(2, [3], 2, rng=seed).state_dict()["0.weight"], nn.MLP(2, [3], 2, rng=seed + 1).state_dict()["0.weight"]
    )
    for name, value in nn.MLP(2, [3], 2, rng=seed).state_dict().items():
        assert np.array_equal(value, nn.MLP(2, [3], 2, rng=seed).state_dict()[name])


def test_linear_float32_dtype():
    layer = nn.Linear(3, 2, rng=0, dtype=np.float32)
    assert layer.params["weight"].dtype == np.float32 and layer.grads["weight"].dtype == np.float32


# ------------------------------------------------------------------------------------------------- modes
def test_train_and_eval_propagate_to_every_child():
    inner = nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU())
    model = nn.Sequential(inner, nn.Linear(2, 2, rng=1), nn.Softmax())
    modules = [model, inner, inner[0], inner[1], model[1], model[2]]
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    assert model.train() is model
    assert all(m.training for m in modules)
    model.train(False)
    assert not any(m.training for m in modules)
    # nested parameter names follow torch too
    theirs = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()), torch.nn.Linear(2, 2), torch.nn.Softmax(dim=-1)
    )
    assert list(model.state_dict()) == list(theirs.state_dict())


def test_sequential_container_protocol():
    layers = [nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers and model[1] is layers[1] and model[-1] is layers[2]
    x = np.random.default_rng(0).standard_normal((4, 2))
    outs = model.forward_all(x)
    assert [o.shape for o in outs] == [(4, 3), (4, 3), (4, 1)]
    assert np.array_equal(outs[-1], model(x))
    assert "Linear(in_features=2, out_features=3, bias=True)" in repr(model)
