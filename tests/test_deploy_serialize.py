"""dlcourse.deploy.serialize: safetensors files that round-trip exactly, load into the torch twin, and fail loudly.

Every broken file (missing, truncated, not safetensors, a tampered header, byte ranges that do not add up, changed
tensor bytes) and every mismatch with the model (missing or extra keys, wrong shapes) gives one ValueError that
names the file and says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import scaled_settings

from dlcourse import nn
from dlcourse.deploy import (
    file_sha256,
    load_metadata,
    load_model_into,
    load_state_dict,
    save_model,
    save_state_dict,
)
from dlcourse.deploy.serialize import CHECKSUM_KEY
from dlcourse.interop import to_torch


def digits_mlp(seed: int = 0, dtype=np.float64) -> nn.MLP:
    return nn.MLP(64, [32, 16], 10, rng=seed, dtype=dtype)


def header_of(blob: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def with_header(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "digits.safetensors"
    save_model(digits_mlp(), path, metadata={"version": "1.0", "data": "sklearn digits"})
    return path


# ------------------------------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, bool])
def test_arrays_round_trip_exactly(tmp_path, dtype):
    rng = np.random.default_rng(0)
    arrays = {
        "a": (rng.standard_normal((3, 4)) * 10).astype(dtype),
        "b.c": (rng.standard_normal(5) * 10).astype(dtype),
        "scalar": np.asarray(7, dtype=dtype),
        "empty": np.zeros((0, 3), dtype=dtype),
    }
    path = tmp_path / "x.safetensors"
    save_state_dict(arrays, path)
    back = load_state_dict(path)
    assert set(back) == set(arrays)
    for name, value in arrays.items():
        assert back[name].dtype == value.dtype and back[name].shape == value.shape
        np.testing.assert_array_equal(back[name], value)
        assert back[name].flags.writeable


def test_non_contiguous_and_big_endian_arrays_are_saved_as_their_values(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    arrays = {"t": base.T, "every_other": base[:, ::2], "big": base.astype(">f8")}
    save_state_dict(arrays, tmp_path / "x.safetensors")
    back = load_state_dict(tmp_path / "x.safetensors")
    for name, value in arrays.items():
        np.testing.assert_array_equal(back[name], value)


def test_metadata_round_trips_without_the_checksum(saved):
    assert load_metadata(saved) == {"version": "1.0", "data": "sklearn digits"}
    header, data = header_of(saved.read_bytes())
    assert header["__metadata__"][CHECKSUM_KEY] == hashlib.sha256(data).hexdigest()


def test_the_file_is_safetensors_not_pickle(saved):
    """safetensors' own reader gives the same arrays; the file holds no pickle opcodes at its start."""
    blob = saved.read_bytes()
    assert blob[:1] != b"\x80" and blob[8:9] == b"{"
    reference = safetensors.numpy.load_file(str(saved))
    ours = load_state_dict(saved)
    assert set(reference) == set(ours)
    for name in ours:
        np.testing.assert_array_equal(ours[name], reference[name])


def test_model_round_trip_gives_the_same_function(saved):
    x = np.random.default_rng(1).random((20, 64))
    model, other = digits_mlp(0), digits_mlp(seed=5)
    assert not np.array_equal(model(x), other(x))
    assert load_model_into(other, saved) is other
    np.testing.assert_array_equal(other(x), model(x))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name], value)


def test_saving_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path, saved):
    save_model(digits_mlp(seed=3), saved)
    assert [p.name for p in tmp_path.iterdir()] == ["digits.safetensors"]
    np.testing.assert_array_equal(load_state_dict(saved)["0.weight"], digits_mlp(seed=3).state_dict()["0.weight"])
    assert load_metadata(saved) == {}


def test_file_sha256_is_the_whole_files_digest(saved):
    assert file_sha256(saved) == hashlib.sha256(saved.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="no such file"):
        file_sha256(saved.parent / "nope.safetensors")


DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint8, bool]


@scaled_settings(25)
@given(
    arrays=st.dictionaries(
        st.text(alphabet="abcdefghij.0123456789_", min_size=1, max_size=12).filter(lambda k: k != "__metadata__"),
        st.sampled_from(DTYPES).flatmap(
            lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
        ),
        max_size=5,
    ),
    metadata=st.dictionaries(st.text(max_size=8).filter(lambda k: k != CHECKSUM_KEY), st.text(max_size=20), max_size=3),
)
def test_any_arrays_and_metadata_round_trip_bit_for_bit(tmp_path_factory, arrays, metadata):
    path = tmp_path_factory.mktemp("hypothesis") / "x.safetensors"
    save_state_dict(arrays, path, metadata)
    back = load_state_dict(path)
    assert set(back) == set(arrays) and load_metadata(path) == metadata
    for name, value in arrays.items():
        assert back[name].dtype == value.dtype and back[name].shape == value.shape
        assert back[name].tobytes() == value.tobytes()  # NaNs and signed zeros too


# ------------------------------------------------------------------------------------------------ torch
def float32_bound(model: nn.MLP, x: np.ndarray) -> np.ndarray:
    """How far two float32 evaluations of ``model`` may differ: each Linear of fan-in K rounds at most
    gamma_K = K u / (1 - K u) of |W||h| + |b| (u = 2**-24), and passes the error coming in through |W| (ReLU is
    1-Lipschitz); two evaluations summing in different orders differ by at most twice that."""
    u = 2.0**-24
    h, err = x.astype(np.float64), np.zeros(x.shape)
    for layer in model:
        if isinstance(layer, nn.Linear):
            w, b = layer.params["weight"].astype(np.float64), layer.params["bias"].astype(np.float64)
            k = w.shape[1] + 1
            gamma = k * u / (1 - k * u)
            err = np.abs(err) @ np.abs(w).T + gamma * (np.abs(h) @ np.abs(w).T + np.abs(b))
            h = h @ w.T + b
        else:
            h = np.maximum(h, 0)
    return 2 * err


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_file_loads_into_the_torch_twin(tmp_path, dtype):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    model = digits_mlp(0, dtype)
    path = tmp_path / "digits.safetensors"
    save_model(model, path)
    twin = to_torch(digits_mlp(seed=9, dtype=dtype), tdtype)  # other weights, then the file's
    twin.load_state_dict(safetensors.torch.load_file(str(path)))
    for name, value in twin.state_dict().items():
        assert value.dtype == tdtype
        np.testing.assert_array_equal(value.numpy(), model.state_dict()[name])
    x = np.random.default_rng(2).random((50, 64)).astype(dtype)
    with torch.no_grad():
        got = twin(torch.from_numpy(x)).numpy()
    if dtype == np.float64:
        assert_close_to_largest(got, model(x), "torch twin loaded from the file")
    else:
        diff = np.abs(got.astype(np.float64) - model(x).astype(np.float64))
        assert np.all(diff <= float32_bound(model, x)), diff.max()


def test_a_file_saved_by_torch_loads_into_the_dlcourse_model(tmp_path):
    twin = to_torch(digits_mlp(seed=4))
    path = tmp_path / "from_torch.safetensors"
    safetensors.torch.save_file(twin.state_dict(), str(path), metadata={"framework": "torch"})
    model = load_model_into(digits_mlp(seed=0), path)
    assert load_metadata(path) == {"framework": "torch"}  # no checksum entry: loaded without that check
    x = np.random.default_rng(3).random((10, 64))
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    assert_close_to_largest(model(x), expected, "dlcourse model loaded from torch's file")


def test_a_float32_file_fills_a_float64_model(tmp_path):
    path = tmp_path / "f32.safetensors"
    save_model(digits_mlp(0, np.float32), path)
    model = load_model_into(digits_mlp(seed=1), path)
    assert model.state_dict()["0.weight"].dtype == np.float64
    np.testing.assert_array_equal(model.state_dict()["0.weight"], digits_mlp(0, np.float32).state_dict()["0.weight"])


# ------------------------------------------------------------------------------------------------ broken files
def broken(saved, blob: bytes):
    saved.write_bytes(blob)
    return saved


def expect_error(path, match: str):
    for load in (load_state_dict, load_metadata, lambda p: load_model_into(digits_mlp(), p)):
        with pytest.raises(ValueError, match=match) as info:
            load(path)
        assert str(path) in str(info.value)


def test_a_missing_file(tmp_path):
    expect_error(tmp_path / "nope.safetensors", "no such file")


@pytest.mark.parametrize("keep", [0, 5])
def test_a_file_shorter_than_the_header_size(saved, keep):
    expect_error(broken(saved, saved.read_bytes()[:keep]), "less than the 8-byte header size")


def test_a_file_cut_inside_its_header(saved):
    expect_error(broken(saved, saved.read_bytes()[:40]), r"truncated or not a safetensors file: a header of \d+ bytes")


def test_a_file_cut_inside_its_data(saved):
    expect_error(broken(saved, saved.read_bytes()[:-10]), r"truncated: the tensors need \d+ bytes of data")


def test_extra_bytes_after_the_data(saved):
    expect_error(broken(saved, saved.read_bytes() + b"\0" * 8), "wrong sizes: the tensors need")


@pytest.mark.parametrize(
    "blob",
    [
        pickle.dumps({"0.weight": np.zeros(3)}),
        b"PK\x03\x04" + b"\0" * 100,  # an npz (zip) file
        b"just some text, not weights at all\n",
    ],
    ids=["pickle", "zip", "text"],
)
def test_a_file_of_another_format(saved, blob):
    expect_error(broken(saved, blob), "not a safetensors file")


def test_a_header_that_is_not_json(saved):
    blob = saved.read_bytes()
    n = int.from_bytes(blob[:8], "little")
    expect_error(broken(saved, blob[:8] + b"\xff" + blob[9 : 8 + n] + blob[8 + n :]), "header is not JSON")


def test_a_header_that_is_json_but_not_an_object(saved):
    expect_error(broken(saved, with_header([1, 2], b"")), "header is a JSON list")  # type: ignore[arg-type]


def tampered(saved, change) -> bytes:
    header, data = header_of(saved.read_bytes())
    change(header)
    return with_header(header, data)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda h: h["0.bias"].update(dtype="F128"), "unknown dtype 'F128'"),
        (lambda h: h["0.bias"].update(shape=[16]), r"wrong sizes: tensor '0.bias' \(F64, shape \(16,\)\) needs 128"),
        (lambda h: h["0.bias"].update(shape="32"), "has shape '32', not a list"),
        (lambda h: h["0.bias"].update(data_offsets=[0]), r"data_offsets \[0\], not \[begin, end\]"),
        (lambda h: h["0.bias"].update(data_offsets=[0, 512]), "needs 256 bytes, its data_offsets"),
        (lambda h: h["0.bias"].pop("dtype"), "should hold dtype, shape and data_offsets"),
        (lambda h: h.update(extra={"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}), "starts at byte"),
        (lambda h: h.update(__metadata__={"version": 1}), "'__metadata__' must map strings to strings"),
    ],
    ids=["dtype", "shape-size", "shape-type", "offsets-type", "offsets-size", "entry", "overlap", "metadata"],
)
def test_a_tampered_header(saved, change, match):
    expect_error(broken(saved, tampered(saved, change)), "tampered header|wrong sizes")
    expect_error(saved, match)


def test_changed_tensor_bytes_fail_the_checksum(saved):
    blob = bytearray(saved.read_bytes())
    blob[-1] ^= 1
    expect_error(broken(saved, bytes(blob)), "tampered data: the tensor bytes do not match the SHA-256")


# ------------------------------------------------------------------------------------------------ the model
def test_missing_keys(tmp_path):
    path = tmp_path / "short.safetensors"
    save_state_dict({k: v for k, v in digits_mlp().state_dict().items() if k != "4.bias"}, path)
    with pytest.raises(ValueError, match=r"missing keys \['4.bias'\], unexpected keys \[\]") as info:
        load_model_into(digits_mlp(), path)
    assert str(path) in str(info.value)


def test_extra_keys(tmp_path):
    path = tmp_path / "long.safetensors"
    save_state_dict({**digits_mlp().state_dict(), "6.weight": np.zeros((2, 2))}, path)
    with pytest.raises(ValueError, match=r"missing keys \[\], unexpected keys \['6.weight'\]") as info:
        load_model_into(digits_mlp(), path)
    assert str(path) in str(info.value)


def test_wrong_shapes(tmp_path):
    path = tmp_path / "wide.safetensors"
    save_model(nn.MLP(64, [33, 16], 10, rng=0), path)
    model = digits_mlp(seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"wrong shape for '0.bias': the file has \(33,\), the model expects \(32,\)"):
        load_model_into(model, path)
    for name, value in model.state_dict().items():  # nothing was copied
        np.testing.assert_array_equal(value, before[name])


def test_integer_weights_for_a_float_model_are_refused(tmp_path):
    path = tmp_path / "ints.safetensors"
    save_state_dict({k: v.astype(np.int64) for k, v in digits_mlp().state_dict().items()}, path)
    with pytest.raises(ValueError, match="wrong dtype for '0.bias': the file has int64, the model holds float64"):
        load_model_into(digits_mlp(), path)


# ------------------------------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    ("state_dict", "metadata", "match"),
    [
        ([np.zeros(2)], None, "state_dict: expected a mapping of names to arrays, got list"),
        ({1: np.zeros(2)}, None, "state_dict: expected non-empty string keys, got 1"),
        ({"": np.zeros(2)}, None, "state_dict: expected non-empty string keys, got ''"),
        ({"__metadata__": np.zeros(2)}, None, "state_dict: the key '__metadata__' is reserved"),
        ({"a": [1.0, 2.0]}, None, r"state_dict\['a'\]: expected a NumPy array, got list"),
        ({"a": np.array(["x"])}, None, r"state_dict\['a'\]: expected a dtype safetensors stores .*, got <U1"),
        ({"a": np.array([None])}, None, r"state_dict\['a'\]: expected a dtype safetensors stores .*, got object"),
        ({"a": np.zeros(2, np.complex128)}, None, r"got complex128"),
        ({"a": np.zeros(2)}, ["v"], "metadata: expected a mapping of strings to strings, got list"),
        ({"a": np.zeros(2)}, {"version": 1}, "metadata: expected strings for keys and values"),
        ({"a": np.zeros(2)}, {CHECKSUM_KEY: "x"}, "metadata: the key 'dlcourse.sha256' is reserved"),
    ],
)
def test_bad_arguments_to_save(tmp_path, state_dict, metadata, match):
    with pytest.raises(ValueError, match=match):
        save_state_dict(state_dict, tmp_path / "x.safetensors", metadata)
    assert list(tmp_path.iterdir()) == []


def test_bad_paths_and_models(tmp_path, saved):
    with pytest.raises(ValueError, match="path: the folder .* does not exist"):
        save_state_dict({"a": np.zeros(2)}, tmp_path / "no" / "x.safetensors")
    with pytest.raises(ValueError, match="path: expected a file name, got the folder"):
        save_state_dict({"a": np.zeros(2)}, tmp_path)
    with pytest.raises(ValueError, match="path: expected a file name"):
        load_state_dict(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no such file"):
        load_state_dict(tmp_path)  # a folder is no file
    with pytest.raises(ValueError, match="model: expected a dlcourse nn.Module, got dict"):
        save_model({}, tmp_path / "x.safetensors")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model: expected a dlcourse nn.Module, got str"):
        load_model_into("model", saved)  # type: ignore[arg-type]


def test_torch_tensors_are_saved_as_arrays(tmp_path):
    path = tmp_path / "t.safetensors"
    save_state_dict({"w": torch.arange(6, dtype=torch.float64).reshape(2, 3)}, path)
    np.testing.assert_array_equal(load_state_dict(path)["w"], np.arange(6.0).reshape(2, 3))
