"""Checks as data: the verdict a grader computes from the learner's calls carried as data equals, character for
character, what the check prints in the learner's notebook; and the wire that carries cases and calls reads only
what its format allows.

The answers are the chapters' own solutions and the typical wrong answers of the chapters' check tests (taken from
their ``parametrize`` lists), the known mistakes the checks themselves name, unfinished and missing answers, and
answers that call the implementation their exercise asks for.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
import test_ch00
import test_ch01_checks
import test_ch02
import test_ch03
import test_ch04
import test_ch05
import test_ch06
import torch
from _pytest.mark.structures import ParameterSet
from check_helpers import CHECKS, KEY_OF, PAIRS, graded_message, not_implemented, returns_none

import dlcourse.functional as F
from dlcourse.checks import (
    CheckFailure,
    ch04,
    exercises,
    object_exercises,
)
from dlcourse.checks.calls import Build, Call, Modified, Named, Opaque, Rng, make_case, run_call, to_data
from dlcourse.checks.delegation import DEFAULT_ALIASES
from dlcourse.checks.wire import WireError, dump_calls, dump_cases, load_calls, load_cases, serve

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


# ------------------------------------------------------------------------------------------------ answers
def solutions() -> dict[str, object]:
    """The chapters' exercise cells run in a namespace with the names their setup cells bind: name -> function."""
    namespace = {}
    for name, path in DEFAULT_ALIASES.items():
        with contextlib.suppress(ImportError):
            namespace[name] = importlib.import_module(path)
    for notebook in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if any(t.startswith("exercise-") for t in cell.metadata.get("tags", [])):
                exec(compile(cell.source, str(notebook), "exec"), namespace)
    return namespace


SOLVED = solutions()


def parametrized(test, *names: str) -> list[tuple]:
    """The values a test's ``parametrize`` mark gives the arguments ``names``."""
    rows = []
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        argnames, values = mark.args[0], mark.args[1]
        argnames = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
        for value in values:
            value = value.values if isinstance(value, ParameterSet) else value
            value = value if len(argnames) > 1 else (value,)
            row = dict(zip(argnames, value))
            if all(n in row for n in names):
                rows.append(tuple(row[n] for n in names))
    return rows


def wrong_answers() -> list[tuple[str, object]]:
    """(exercise key, answer) for the typical wrong answers of the chapters' check tests and the checks' own known
    mistakes."""
    found = []
    for test, key in [
        (test_ch00.test_check_standardize_explains_typical_mistakes, "00-standardize"),
        (test_ch00.test_check_pairwise_explains_typical_mistakes, "00-pairwise_sq_dists"),
        (test_ch00.test_check_one_hot_explains_typical_mistakes, "00-one_hot"),
        (test_ch00.test_check_isclose_explains_typical_mistakes, "00-isclose"),
        (test_ch01_checks.test_mlp_typical_mistakes, "01-mlp"),
        (test_ch02.test_sigmoid_backward_mistakes, "02-sigmoid_backward"),
        (test_ch02.test_linear_backward_mistakes, "02-linear_backward"),
        (test_ch02.test_cross_entropy_mistakes, "02-cross_entropy"),
        (test_ch02.test_numerical_gradient_mistakes, "02-numerical_gradient"),
        (test_ch02.test_mul_backward_mistakes, "02-mul_backward"),
        (test_ch05.test_output_size_mistakes_are_named, "05-output-size"),
    ]:
        found += [(key, wrong) for (wrong,) in parametrized(test, "wrong")]
    for test, key in [
        (test_ch01_checks.test_sigmoid_missing_answers, "01-sigmoid"),
        (test_ch03.test_minibatches_typical_mistakes, "03-batches"),
        (test_ch03.test_train_epoch_typical_mistakes, "03-epoch"),
        (test_ch03.test_evaluate_typical_mistakes, "03-evaluate"),
        (test_ch03.test_xavier_typical_mistakes, "03-xavier"),
        (test_ch03.test_kaiming_typical_mistakes, "03-kaiming"),
    ]:
        found += [(key, fn) for (fn,) in parametrized(test, "fn")]
    for test in [
        test_ch01_checks.test_answers_computed_in_float32_are_told_so,
        test_ch01_checks.test_a_missing_result_gets_only_the_hint_about_return,
    ]:
        found += [(KEY_OF[check], fn) for check, fn in parametrized(test, "check", "fn")]
    found += [
        (KEY_OF[c], b)
        for c, b in parametrized(test_ch02.test_a_backward_exercise_names_itself_once, "check", "backward")
    ]
    found += [
        ("06-pca", wrong)
        for (wrong,) in parametrized(test_ch06.test_pca_components_from_the_wrong_factor_are_named, "wrong")
    ]
    found += [
        ("05-maxpool", (test_ch05.max_pool_forward, b))
        for (b,) in parametrized(test_ch05.test_max_pool_backward_that_assigns_instead_of_adding, "backward")
    ]
    found += [
        ("05-maxpool", (f, test_ch05.max_pool_backward))
        for (f,) in parametrized(test_ch05.test_max_pool_stride_none_treated_as_one_is_named, "forward")
    ]
    found += [("04-cosine", fn) for (fn,) in parametrized(test_ch04.test_cosine_mistakes_are_named, "fn")]
    for key, variants in [
        ("04-momentum", ch04.MOMENTUM_VARIANTS),
        ("04-rmsprop", ch04.RMSPROP_VARIANTS),
        ("04-adam", ch04.ADAM_VARIANTS),
    ]:
        for fns, _ in variants:
            found.append((key, fns[0] if isinstance(fns, list) else fns))
    return found


def _in_place_momentum(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
    param -= lr * (grad + momentum * buf if nesterov else buf)
    return param, buf


def _only_param(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    return param - lr * grad


def _delegating(key: str):
    """An answer that calls the library's own implementation of its exercise."""
    return {
        "01-sigmoid": lambda x: F.sigmoid(x),
        "01-softmax": lambda x, dim=-1: torch.softmax(torch.as_tensor(x), dim=dim).numpy(),
        "02-sigmoid_backward": lambda dout, cache: F.sigmoid_backward(dout, cache),
        "05-conv2d": lambda x, w, b, s=1, p=0: F.conv2d(x, w, b, s, p),
        "05-maxpool": (F.max_pool2d_forward, lambda dout, cache: F.max_pool2d_backward(dout, cache)),
    }[key]


def all_answers() -> list[tuple[str, object]]:
    answers = []
    for key, exercise in exercises().items():
        if key in PAIRS:
            forward, backward = (SOLVED[f] for f in exercise.functions)
            answers += [(key, (forward, backward)), (key, (not_implemented, not_implemented)), (key, (forward, None))]
        else:
            answers += [(key, SOLVED[exercise.function]), (key, not_implemented), (key, returns_none), (key, None)]
    answers += wrong_answers()
    answers += [("04-momentum", _in_place_momentum), ("04-momentum", _only_param)]
    answers += [(key, _delegating(key)) for key in ("01-sigmoid", "01-softmax", "02-sigmoid_backward", "05-conv2d")]
    answers.append(("05-maxpool", _delegating("05-maxpool")))
    return answers


ANSWERS = all_answers()


# ------------------------------------------------------------------------------------------------ the two paths
def notebook_message(key: str, answer) -> str:
    """What the check cell prints (or the failure it raises) in the learner's notebook."""
    check = CHECKS[key]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            check(*answer) if key in PAIRS else check(answer)
    except CheckFailure as failure:
        return str(failure)
    return printed.getvalue().strip()


@pytest.mark.parametrize("key, answer", ANSWERS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ANSWERS)])
def test_the_grade_book_records_what_the_notebook_prints(key, answer, tmp_path):
    assert graded_message(key, answer, tmp_path) == notebook_message(key, answer)


def test_the_answers_cover_every_exercise_passing_and_failing():
    keys = {k for k, _ in ANSWERS}
    assert keys == set(exercises()) == set(CHECKS)
    assert len(wrong_answers()) > 100


def test_every_solution_passes_on_both_paths(tmp_path):
    for key, exercise in exercises().items():
        answer = tuple(SOLVED[f] for f in exercise.functions) if key in PAIRS else SOLVED[exercise.function]
        assert graded_message(key, answer, tmp_path).startswith("\u2714"), key


def test_exercises_match_the_chapters_tags_and_functions():
    tags = set()
    for notebook in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            tags |= {t.removeprefix("test-") for t in cell.metadata.get("tags", []) if t.startswith("test-")}
    assert set(exercises()) == tags
    assert object_exercises() == {}  # every exercise has a data form
    for key, exercise in exercises().items():
        assert exercise.key == key and all(f in SOLVED for f in exercise.functions)


def test_a_missing_function_is_a_name_error(tmp_path):
    exercise = exercises()["01-sigmoid"]
    cases = exercise.cases(0)
    dump_cases(tmp_path / "cases.npz", cases)
    assert serve(tmp_path / "cases.npz", tmp_path / "calls.npz", "sigmoid", {}) == len(cases)
    calls = load_calls(tmp_path / "calls.npz")
    assert {(c.kind, c.error_type, c.error_message) for c in calls} == {
        ("raised", "NameError", "name 'sigmoid' is not defined")
    }
    message = exercise.judge(cases, calls).message
    assert message == "\u2718 sigmoid: sigmoid(x of shape (5,)) raised NameError: name 'sigmoid' is not defined."


def test_serve_reads_the_kernels_main_namespace_by_default(tmp_path, monkeypatch):
    import __main__

    exercise = exercises()["00-isclose"]
    dump_cases(tmp_path / "cases.npz", exercise.cases(0))
    monkeypatch.setattr(__main__, "isclose", SOLVED["isclose"], raising=False)
    serve(tmp_path / "cases.npz", tmp_path / "calls.npz", "isclose")
    assert exercise.judge(exercise.cases(0), load_calls(tmp_path / "calls.npz")).passed


# ------------------------------------------------------------------------------------------------ the wire
def test_cases_come_back_as_they_went(tmp_path):
    for exercise in exercises().values():
        cases = exercise.cases(3)
        dump_cases(tmp_path / "cases.npz", cases)
        assert _same(load_cases(tmp_path / "cases.npz"), cases), exercise.key


def _same(a, b) -> bool:
    """Equal values of equal types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(a, np.floating):
        return (a == b and np.signbit(a) == np.signbit(b)) or (np.isnan(a) and np.isnan(b))
    if isinstance(a, Opaque):
        return (a.type_name, a.text, a.array_error, a.length) == (b.type_name, b.text, b.array_error, b.length) and (
            (a.array is None and b.array is None) or _same(a.array, b.array)
        )
    if isinstance(a, (Call, Modified, Build, Rng, Named)):
        return all(_same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


VALUES = [
    None,
    True,
    0,
    -(2**80),
    0.1,
    -0.0,
    float("nan"),
    float("inf"),
    5e-324,
    "text ✔",
    np.float32(0.1),
    np.int64(7),
    np.bool_(True),
    np.arange(6.0).reshape(2, 3).T,  # not contiguous
    np.zeros((0, 3), dtype=np.uint8),
    np.array(1.5 + 2j),
    (1, [2.0, (3,)], {"a": np.ones(2), 4: None}),
    F.sigmoid_forward(np.array([0.0, 1.0]))[1],
    torch.ones(2, dtype=torch.float64),  # becomes an opaque value with its array
    (i for i in range(3)),  # an opaque value without one
]


@pytest.mark.parametrize("value", VALUES, ids=[type(v).__name__ for v in VALUES])
def test_values_come_back_exactly_as_data(value, tmp_path):
    data = to_data(value)
    call = Call(value=data, modified=(Modified(0, data, data),), steps=(Call(kind="none"),), extra={"fd": data})
    dump_calls(tmp_path / "calls.npz", [call])
    (back,) = load_calls(tmp_path / "calls.npz")
    assert _same(back, call)


def test_opaque_values_read_as_the_original():
    tensor = to_data(torch.tensor([1.0, 2.0]))
    assert type(tensor).__name__ == "Tensor" and repr(tensor) == "tensor([1., 2.])"
    assert np.asarray(tensor).tolist() == [1.0, 2.0] and len(tensor) == 2
    needs_grad = to_data(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(needs_grad)
    generator = to_data(i for i in range(3))
    assert type(generator).__name__ == "generator" and np.asarray(generator).dtype == object


def test_a_cache_comes_back_as_the_librarys_own_class(tmp_path):
    case = make_case({"dout": np.ones(2), "cache": F.sigmoid_forward(np.zeros(2))[1]})
    dump_cases(tmp_path / "cases.npz", [case])
    (back,) = load_cases(tmp_path / "cases.npz")
    assert type(back["args"]["cache"]) is type(case["args"]["cache"])


def test_markers_travel_in_cases_only(tmp_path):
    case = make_case({"rng": Rng(3), "f": Named("ch02.sum_x_sin_x")}, {"m": Build("ch03.cross_entropy_loss", {})})
    dump_cases(tmp_path / "cases.npz", [case])
    assert load_cases(tmp_path / "cases.npz") == [case]
    with pytest.raises(WireError, match="marker"):
        dump_calls(tmp_path / "calls.npz", [Call(value=Rng(3))])
    with pytest.raises(WireError, match="opaque"):
        dump_cases(tmp_path / "cases.npz", [make_case({"x": to_data(torch.ones(1))})])


def _raw(path: Path, structure, arrays: dict | None = None, *, compress: bool = False) -> Path:
    """A file in the format's shape with a structure of our choosing."""
    text = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    save = np.savez_compressed if compress else np.savez
    save(path, structure=text, **(arrays or {}))
    return path


def _calls(*items):
    return {"format": "dlcourse-checks", "version": 1, "kind": "calls", "items": list(items)}


EMPTY = {"t": "dict", "items": []}
GOOD_CALL = {
    "t": "call",
    "kind": "returned",
    "value": {"t": "none"},
    "error_type": "",
    "error_bases": [],
    "error_message": "",
    "where": "",
    "warnings": [],
    "modified": [],
    "params": [],
    "returned": None,
    "steps": [],
    "objects": EMPTY,
    "extra": EMPTY,
}


def test_a_hand_made_call_reads(tmp_path):
    (call,) = load_calls(_raw(tmp_path / "calls.npz", _calls(GOOD_CALL)))
    assert call.kind == "returned" and call.value is None


@pytest.mark.parametrize(
    "change, match",
    [
        ({"kind": "exploded"}, "unknown call kind"),
        ({"value": {"t": "pickle", "v": "..."}}, "unknown node type 'pickle'"),
        ({"value": {"t": "array", "ref": 0}}, "no array member 'a0'"),
        ({"value": {"t": "int", "v": "1" * 500}}, "bad int"),
        ({"value": {"t": "float", "v": "zero"}}, "bad float"),
        ({"value": {"t": "rng", "seed": "1"}}, "only cases hold rng markers"),
        ({"value": {"t": "none", "extra": 1}}, "expected the keys"),
        ({"value": {"t": "namedtuple", "name": "C", "fields": ["_x"], "items": [{"t": "none"}]}}, "field names"),
        ({"value": {"t": "dict", "items": [[{"t": "float", "v": "0x1p+0"}, {"t": "none"}]]}}, "keys"),
        ({"warnings": [1]}, "warnings: strings"),
        ({"unexpected": 1}, "expected the keys"),
        ({"steps": [{"t": "none"}]}, "expected a call node"),
    ],
)
def test_malformed_calls_are_rejected_with_a_clear_error(change, match, tmp_path):
    with pytest.raises(WireError, match=match):
        load_calls(_raw(tmp_path / "calls.npz", _calls({**GOOD_CALL, **change})))


def test_deep_nesting_is_rejected(tmp_path):
    value = {"t": "none"}
    for _ in range(100):
        value = {"t": "list", "items": [value]}
    with pytest.raises(WireError, match="deeper"):
        load_calls(_raw(tmp_path / "calls.npz", _calls({**GOOD_CALL, "value": value})))


def test_files_that_are_not_the_format_are_rejected(tmp_path):
    good = _raw(tmp_path / "good.npz", _calls(GOOD_CALL))
    with pytest.raises(WireError, match="more than the limit"):
        load_calls(good, max_bytes=100)
    with pytest.raises(WireError, match="expected 'calls'"):
        load_calls(_raw(tmp_path / "cases.npz", {**_calls(), "kind": "cases"}))
    with pytest.raises(WireError, match="not a dlcourse-checks file"):
        load_calls(_raw(tmp_path / "other.npz", {"items": []}))
    with pytest.raises(WireError, match="compressed"):
        load_calls(_raw(tmp_path / "zipped.npz", _calls(GOOD_CALL), compress=True))
    with pytest.raises(WireError, match="unexpected member"):
        load_calls(_raw(tmp_path / "extra.npz", _calls(GOOD_CALL), {"evil": np.ones(1)}))
    with pytest.raises(WireError, match="only booleans and numbers"):
        load_calls(_raw(tmp_path / "dates.npz", _calls(GOOD_CALL), {"a0": np.array(["2020"], dtype="datetime64[D]")}))
    with pytest.raises(WireError, match="without pickle"):
        load_calls(_raw(tmp_path / "objects.npz", _calls(GOOD_CALL), {"a0": np.array([{}], dtype=object)}))
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(WireError, match="not an npz archive"):
        load_calls(tmp_path / "text.npz")
    text = np.frombuffer(b'{"format": NaN}', dtype=np.uint8)
    np.savez(tmp_path / "nan.npz", structure=text)
    with pytest.raises(WireError, match="NaN"):
        load_calls(tmp_path / "nan.npz")
    with zipfile.ZipFile(tmp_path / "bare.npz", "w") as archive:
        archive.writestr("a0.npy", b"")
    with pytest.raises(WireError, match="no 'structure' member"):
        load_calls(tmp_path / "bare.npz")


def test_run_call_records_what_a_call_did():
    def scale(x, factor):
        x *= factor  # in place
        with np.errstate(divide="warn"):
            np.log(np.zeros(1))
        return x

    call = run_call(scale, make_case({"x": np.ones(2), "factor": 2.0}))
    assert call.kind == "returned" and call.returned == 0 and call.params == ("x", "factor")
    assert call.warnings == ("divide by zero encountered in log",)
    (changed,) = call.modified
    assert changed.index == 0 and changed.before.tolist() == [1.0, 1.0] and changed.after.tolist() == [2.0, 2.0]
    failed = run_call(lambda x: {}["key"], make_case({"x": 1}))
    assert (failed.kind, failed.error_type, failed.error_message) == ("raised", "KeyError", "'key'")
    assert "KeyError" in failed.error_bases and "LookupError" in failed.error_bases
    assert failed.where.startswith(" (line ") and "test_check_wire.py" in failed.where
    assert run_call(not_implemented, make_case()).kind == "not_implemented"
    assert run_call(None, make_case()).kind == "none"
    assert run_call(np.zeros(1), make_case()).error_type == "ndarray"


@pytest.mark.parametrize("seed", [1, 2**40 + 3, 2**63 - 1])
def test_the_solutions_pass_whatever_seed_the_grader_draws(seed, tmp_path):
    """The grader may draw the cases from a seed of its own, as large as it likes."""
    for key, exercise in exercises().items():
        cases = exercise.cases(seed)
        dump_cases(tmp_path / "cases.npz", cases)
        serve(tmp_path / "cases.npz", tmp_path / "calls.npz", exercise.function, SOLVED)
        verdict = exercise.judge(cases, load_calls(tmp_path / "calls.npz"))
        assert verdict.passed, verdict.message


@pytest.mark.parametrize("key", sorted(exercises()))
def test_whatever_comes_back_the_verdict_is_a_failure_not_a_crash(key):
    exercise = exercises()[key]
    cases = exercise.cases(0)
    garbage = [
        [],
        [Call(value=None)] * (len(cases) - 1),
        [Call(value=None)] * len(cases),
        [Call(kind="steps")] * len(cases),
        [Call(value=to_data(torch.ones(2)), objects={"model": "?"})] * len(cases),
        [Call(value=[{"x": (1, "two")}] * 3)] * len(cases),
        ["not a call"] * len(cases),
    ]
    for calls in garbage:
        verdict = exercise.judge(cases, calls)
        assert not verdict.passed and verdict.message.startswith(f"\u2718 {exercise.name}: ")
    short = exercise.judge(cases, [Call(value=None)] * (len(cases) - 1)).message
    assert short == f"\u2718 {exercise.name}: {len(cases) - 1} answers came back for {len(cases)} cases."
