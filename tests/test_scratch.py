"""dlcourse.fast.scratch: reused memory for the kernels' big temporaries."""

import gc

import numpy as np
import pytest

from dlcourse.fast import scratch


@pytest.fixture(autouse=True)
def empty_free_list():
    scratch.clear()
    yield
    scratch.clear()


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_empty_gives_a_contiguous_array_of_the_shape_and_dtype():
    a = scratch.empty((3, 4, 5), np.float32)
    assert a.shape == (3, 4, 5) and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable


def test_memory_of_a_dead_array_is_reused_for_the_same_size():
    a = scratch.empty((6, 10), np.float64)
    address = _address(a)
    del a
    assert scratch.free_bytes() == 6 * 10 * 8
    b = scratch.empty((4, 15), np.float64)  # another shape, same number of elements
    assert _address(b) == address and b.shape == (4, 15)
    assert scratch.free_bytes() == 0


def test_memory_in_use_is_never_handed_out_twice():
    a = scratch.empty((100,), np.float32)
    view = a.reshape(10, 10)
    b = scratch.empty((100,), np.float32)
    assert not np.shares_memory(a, b)
    del view
    c = scratch.empty((100,), np.float32)
    assert not np.shares_memory(a, c) and not np.shares_memory(b, c)


def test_other_sizes_and_dtypes_get_new_memory():
    a = scratch.empty((10,), np.float32)
    del a
    b = scratch.empty((10,), np.float64)  # same size in elements, other dtype
    c = scratch.empty((11,), np.float32)  # same dtype, other size
    assert scratch.free_bytes() == 40  # the float32 block of 10 is still free
    d = scratch.empty((2, 5), np.float32)
    assert scratch.free_bytes() == 0 and d.shape == (2, 5)
    assert b.dtype == np.float64 and c.shape == (11,)


def test_the_free_list_is_bounded_dropping_the_oldest(monkeypatch):
    monkeypatch.setattr(scratch, "MAX_BYTES", 2500)
    arrays = [scratch.empty((1000,), np.uint8) for _ in range(3)]
    addresses = [_address(a) for a in arrays]
    del arrays
    gc.collect()
    assert scratch.free_bytes() == 2000  # the third block did not fit
    kept = {_address(scratch.empty((1000,), np.uint8)) for _ in range(2)}
    assert kept <= set(addresses)


def test_clear_drops_every_free_block():
    a = scratch.empty((10,), np.float32)
    del a
    assert scratch.free_bytes() == 40
    scratch.clear()
    assert scratch.free_bytes() == 0
