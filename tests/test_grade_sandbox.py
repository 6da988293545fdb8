"""dlcourse grade against a class that cheats: every submission runs in its own sandbox and is judged outside it.

One batch holds honest work and every attack we know of, each in a notebook of its own built on chapter 00's
unfinished learner copy (so that any credit it gets is unearned), trimmed to the import, exercise and check cells
as tests/test_grade.py does: reading classmates' notebooks and solutions/ (directly and through /proc), snooping on
other processes' environment and command line (the grade log named there), writing into the grade book, the other
submissions and the course folder, detached processes left to forge results after the grader is done, fake frames
written to the driver's pipe, tampering with the kernel (a custom exception handler, an input transformer,
``showtraceback``, patched ``importlib.reload``, ``Check``, ``run_call`` and ``wire.serve``, raises-exception and
skip tags), exhausting memory, processes, disk and output, reaching the network, and files that are not notebooks
(links, a pipe, a folder, a name that is not UTF-8).

The assertions: no attack earns a point; nobody else's result changes; nothing of the sandbox is left running;
nothing is written outside it; nothing secret reaches the grade book; honest work gets its marks as before.
No assertion depends on timing: what a detached process could do after grading is ruled out by showing that no
such process is alive once grading returns.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import socket
import textwrap
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from test_grade import CHAPTER, NAMES, ROOT, cell_with_tag, trimmed, write

from dlcourse.tools.grading import grade, sandbox
from dlcourse.tools.grading.run import NotGradable, display_name, grade_one, read_submission
from dlcourse.tools.grading.transport import FrameReader

CELL_TIMEOUT = 30
pytestmark = pytest.mark.notebooks


def need_sandbox() -> None:
    why = sandbox.unavailable(ROOT)
    if why:
        pytest.skip(f"the grading sandbox cannot run on this machine: {why}")


def with_cell(nb, source: str, *, after: str | None = None, at_end: bool = False):
    """``nb`` with a code cell ``source`` after the setup cell (or after the cell tagged ``after``, or last)."""
    cell = nbformat.v4.new_code_cell(textwrap.dedent(source))
    if at_end:
        nb.cells.append(cell)
    elif after is not None:
        nb.cells.insert(nb.cells.index(cell_with_tag(nb, after)) + 1, cell)
    else:
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(first_code + 1, cell)
    return nb


def attack(source: str, **kw):
    return with_cell(trimmed("unsolved"), source, **kw)


def copycat(paths: list[str]):
    """Every exercise cell replaced by code that copies the answers from the first notebook it can read."""
    nb = trimmed("unsolved")
    code = textwrap.dedent(
        f"""
        import glob, json, os
        _places = {paths!r}
        _found = []
        for _pattern in _places:
            for _path in glob.glob(_pattern):
                try:
                    with open(_path, encoding="utf-8") as _f:
                        _nb = json.load(_f)
                except Exception:
                    continue
                for _cell in _nb.get("cells", []):
                    if any(t.startswith("exercise-") for t in _cell.get("metadata", {{}}).get("tags", [])):
                        _src = _cell["source"]
                        exec("".join(_src) if isinstance(_src, list) else _src, globals())
                        _found.append(_path)
        print("copied from", sorted(set(_found)))
        """
    )
    for name in NAMES:
        cell_with_tag(nb, f"exercise-{CHAPTER}-{name}").source = code
    return nb


# --------------------------------------------------------------------------------------------------- the class


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Grade the class once; tests read what it left."""
    need_sandbox()
    token = secrets.token_hex(6)
    marker, secret = f"dlcourse-marker-{token}", f"dlcourse-secret-{token}"
    home = tmp_path_factory.mktemp("class")
    subs, out, outside = home / "submissions", home / "grades", home / "outside"
    for folder in (subs, out, outside):
        folder.mkdir()
    (outside / "secret.txt").write_text(secret)
    grade_log = outside / "grade-log.jsonl"
    grade_log.touch()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    pwned = f"PWNED-{token}"
    solved_path = subs / f"{CHAPTER}_solved.ipynb"
    places = [str(out), str(out / "results"), str(subs), str(ROOT), str(outside), "/tmp", "/root", str(Path.home())]

    nbs = {
        "solved": trimmed("solved"),
        "unsolved": trimmed("unsolved"),
        # classmates' and the course's notebooks, directly and through other processes' /proc entries
        "copycat": copycat(
            [
                str(solved_path),
                str(subs / "*.ipynb"),
                f"/proc/*/root{subs}/*.ipynb",
                f"/proc/*/cwd/{CHAPTER}_*.ipynb",
                f"{ROOT}/solutions/{CHAPTER}_*.ipynb",
                f"/proc/*/root{ROOT}/solutions/{CHAPTER}_*.ipynb",
            ]
        ),
        # other processes' environment and command line; pass records appended to any grade log named there
        "snoop": attack(
            f"""
            import glob, json, os
            _seen = []
            for _p in glob.glob("/proc/[0-9]*/environ") + glob.glob("/proc/[0-9]*/cmdline"):
                try:
                    _data = open(_p, "rb").read()
                except OSError:
                    continue
                _seen.append(_data.replace(b"\\0", b" ").decode(errors="replace"))
                for _item in _data.split(b"\\0"):
                    if _item.startswith(b"DLCOURSE_GRADE_LOG="):
                        with open(_item.split(b"=", 1)[1].decode(), "a") as _log:
                            for _i in range(64):
                                _log.write(json.dumps({{"cell": _i, "outcome": "passed"}}) + "\\n")
            for _p in [{str(outside / "secret.txt")!r}, "/proc/1/root{outside}/secret.txt"]:
                try:
                    _seen.append(open(_p).read())
                except OSError:
                    pass
            print("\\n".join(_seen))
            """
        ),
        # writes everywhere it can name: the grade book, classmates' notebooks and results, the course, /tmp ...
        "vandal": attack(
            f"""
            import glob, json, os
            _targets = {places!r}
            for _t in list(_targets):
                _targets += glob.glob("/proc/*/root" + _t) + glob.glob("/proc/*/cwd")
            for _t in _targets:
                try:
                    with open(os.path.join(_t, {pwned!r}), "w") as _f:
                        _f.write("x")
                except OSError:
                    pass
            for _p in glob.glob({str(out / "results" / "*.json")!r}) + glob.glob({str(subs / "*.ipynb")!r}):
                try:
                    with open(_p, "a") as _f:
                        _f.write("forged")
                except OSError:
                    pass
            """
        ),
        # processes left behind to forge results once the grader is done
        "daemon": attack(
            f"""
            import os, subprocess, sys
            subprocess.Popen(["/bin/sh", "-c", "sleep 600 # {marker}"], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _forger = '''
            import glob, time
            while True:
                for p in glob.glob({str(out / "results" / "*.json")!r}):
                    try:
                        open(p, "w").write("{{}}")
                    except OSError:
                        pass
                time.sleep(0.2)
            '''
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", _forger, {marker!r}])
                os._exit(0)
            os.wait()
            """
        ),
        # the kernel tampered with, each in its own way
        "custom_exc": attack(
            """
            get_ipython().set_custom_exc((BaseException,), lambda *a, **k: print("\\u2714 all good"))
            """
        ),
        "transformer": attack(
            """
            def _rewrite(lines):
                text = "".join(lines)
                if "check" in text or "wire" in text or "serve" in text:
                    return ["print('\\u2714 passed')\\n"]
                return lines
            get_ipython().input_transformers_cleanup.append(_rewrite)
            """
        ),
        "showtraceback": attack(
            """
            _ip = get_ipython()
            _ip.showtraceback = lambda *a, **k: print("\\u2714 passed")
            _ip._showtraceback = lambda *a, **k: None
            """
        ),
        "patched": attack(
            f"""
            import importlib
            import dlcourse.checks as _c
            from dlcourse.checks import calls as _calls, ch{CHAPTER} as _ch, runner as _runner, wire as _wire
            importlib.reload = lambda module: module
            _runner.Check.call = lambda self, fn, *a, **k: None
            _runner.Check.compare = lambda self, *a, **k: None
            _runner.Check.passed = lambda self, *a, **k: print("\\u2714 passed")
            for _name in dir(_ch):
                if _name.startswith("check_"):
                    setattr(_ch, _name, lambda *a, **k: print("\\u2714 passed"))
            _calls.run_call = lambda *a, **k: _calls.Call(kind="returned", value=None)
            _wire.serve = lambda *a, **k: 0
            """
        ),
        # fake frames written to the driver's pipe through /proc, then the driver killed
        "frames": attack(
            """
            import json, os, signal
            _frames = [json.dumps({"kind": "cell", "index": i, "status": "ok", "message": "", "seconds": 0})
                       for i in range(64)] + [json.dumps({"kind": "done"})]
            for _target in [f"/proc/{os.getppid()}/fd/{n}" for n in range(8)] + [f"/proc/1/fd/{n}" for n in range(8)]:
                try:
                    with open(_target, "w") as _f:
                        _f.write("\\n".join(_frames) + "\\n")
                except OSError:
                    pass
            os.kill(os.getppid(), signal.SIGKILL)
            """
        ),
        # resources
        "memory": with_cell(
            trimmed("solved"),
            """
            import numpy as np
            try:
                _big = np.ones(2**34 // 8)
            except MemoryError as exc:
                print("refused:", exc)
            _huge = bytearray(2**34)
            """,
        ),
        "forkbomb": attack(
            f"""
            import os
            _n = 0
            try:
                while True:
                    if os.fork() == 0:
                        os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 600 # {marker}"])
                    _n += 1
            except OSError as exc:
                print(_n, "processes, then", exc)
            """,
            at_end=True,
        ),
        "disk": attack(
            """
            import os
            _chunk = b"x" * 2**24
            for _folder in ("/tmp", os.getcwd(), os.path.expanduser("~")):
                for _i in range(256):
                    try:
                        with open(os.path.join(_folder, f"fill{_i}"), "wb") as _f:
                            for _j in range(64):
                                _f.write(_chunk)
                    except OSError as exc:
                        print(_folder, _i, exc)
                        break
            """
        ),
        "output": with_cell(trimmed("solved"), "for _i in range(64):\n    print('y' * 2**20)\n"),
        "network": attack(
            f"""
            import socket
            for _address in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("8.8.8.8", 443)]:
                try:
                    socket.create_connection(_address, timeout=5).sendall(b"{marker}")
                    print("reached", _address)
                except OSError as exc:
                    print(_address, exc)
            """
        ),
    }
    # tags that would make nbval or nbclient expect or skip an exception
    tagged = trimmed("unsolved")
    for cell in tagged.cells:
        if any(t.startswith(("exercise-", "test-")) for t in cell.metadata.get("tags", [])):
            cell.metadata["tags"] = sorted({*cell.metadata["tags"], "raises-exception", "nbval-skip", "skip-execution"})
            cell.source = "# NBVAL_RAISES_EXCEPTION\n" + cell.source
    nbs["tagged"] = tagged
    for name, nb in nbs.items():
        write(subs, f"{CHAPTER}_{name}.ipynb", nb)
    # files that are not notebooks, named like them
    (subs / f"{CHAPTER}_link.ipynb").symlink_to(solved_path)  # a classmate's full marks
    (subs / f"{CHAPTER}_passwd.ipynb").symlink_to("/etc/passwd")
    os.mkfifo(subs / f"{CHAPTER}_fifo.ipynb")
    (subs / f"{CHAPTER}_folder.ipynb").mkdir()

    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir() if p.is_file()}
    uid_base = 1_800_000_000 + (os.getpid() % 10_000) * sandbox.UID_COUNT
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DLCOURSE_SANDBOX_UID", str(uid_base))
        mp.setenv("DLCOURSE_TEST_SECRET", secret)
        mp.setenv("DLCOURSE_GRADE_LOG", str(grade_log))
        results = grade([subs], out, ROOT, jobs=2, cell_timeout=CELL_TIMEOUT, total_timeout=300, progress=False)
    try:
        connection = listener.accept()[0]
        connection.close()
        reached = True
    except BlockingIOError:
        reached = False
    listener.close()
    by_name = {}
    for r in results:
        stem = r.submission.rsplit("/", 1)[-1].removesuffix(".ipynb")
        by_name[stem.split("_", 1)[1]] = r
    ns = SimpleNamespace(
        subs=subs,
        out=out,
        outside=outside,
        results=by_name,
        before=before,
        marker=marker,
        secret=secret,
        pwned=pwned,
        places=places,
        grade_log=grade_log,
        reached=reached,
        uid_base=uid_base,
    )
    yield ns
    for pid in marked_processes(marker):  # only if a test below failed: ours, by id
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def marked_processes(marker: str) -> list[int]:
    """Ids of the processes whose command line holds ``marker``."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if marker.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def processes_of_uids(low: int, high: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if low <= entry.stat().st_uid < high:
                    found.append(int(entry.name))
    return found


ATTACKS = [
    "copycat",
    "snoop",
    "vandal",
    "daemon",
    "custom_exc",
    "transformer",
    "showtraceback",
    "patched",
    "frames",
    "forkbomb",
    "disk",
    "network",
    "tagged",
]


@pytest.mark.parametrize("name", ATTACKS)
def test_no_attack_earns_a_point(klass, name):
    r = klass.results[name]
    assert r.score == 0 and r.max_score == len(NAMES), (name, r)
    assert all(not e.passed for e in r.exercises.values())


def test_honest_work_gets_its_marks_with_the_learners_messages(klass):
    solved, unsolved = klass.results["solved"], klass.results["unsolved"]
    assert solved.status == "ok" and solved.score == solved.max_score == len(NAMES), solved
    assert unsolved.status == "ok" and unsolved.score == 0 and unsolved.max_score == len(NAMES)
    for e in unsolved.exercises.values():
        assert e.message.startswith("\u2718") and "not implemented yet" in e.message


def test_tampered_kernels_fail_with_the_checks_own_messages(klass):
    """The verdict is the grader's: a kernel that hides or rewrites its errors still gets the learner's ✘ lines."""
    for name in ("custom_exc", "showtraceback", "tagged"):
        for e in klass.results[name].exercises.values():
            assert e.message.startswith("\u2718") and "not implemented yet" in e.message, (name, e.message)


def test_resource_hogs_are_limited_and_their_honest_work_counts(klass):
    for name in ("memory", "output"):
        r = klass.results[name]
        assert r.score == r.max_score == len(NAMES), (name, r)
    assert klass.results["forkbomb"].score == 0 and klass.results["disk"].score == 0


def test_nothing_is_left_running(klass):
    assert marked_processes(klass.marker) == []
    if os.geteuid() == 0:  # every sandbox ran as a user of its own, leased from the base
        assert processes_of_uids(klass.uid_base, klass.uid_base + sandbox.UID_COUNT) == []


def test_nothing_is_written_outside_the_sandbox(klass):
    for place in klass.places:
        assert not (Path(place) / klass.pwned).exists(), place
    assert not list(klass.out.rglob(f"*{klass.pwned}*"))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in klass.subs.iterdir() if p.is_file()}
    assert after == klass.before, "a submission was changed"
    assert klass.grade_log.read_text() == "", "the grader's environment reached a submission"
    assert not klass.reached, "a submission reached the grader's loopback network"


def test_nobody_elses_result_changed(klass):
    """The results on file are the ones grading returned: no sandbox wrote to the grade book."""
    for r in klass.results.values():
        stored = [
            p for p in (klass.out / "results").glob("*.json") if json.loads(p.read_text())["submission"] == r.submission
        ]
        assert len(stored) == 1 and json.loads(stored[0].read_text())["exercises"] == {
            k: e.to_dict() for k, e in r.exercises.items()
        }


def test_no_secret_reaches_the_grade_book(klass):
    for path in klass.out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert klass.secret.encode() not in data, path
            assert b"root:x:0:0" not in data, path


def test_links_pipes_and_folders_are_refused_not_followed(klass):
    for name in ("link", "passwd", "fifo"):
        r = klass.results[name]
        assert r.status == "error" and r.score == 0 and "refused" in r.reason, (name, r)
    assert "symbolic link" in klass.results["link"].reason
    assert "not a regular file" in klass.results["fifo"].reason


def test_a_name_that_is_not_utf8_is_graded_and_shown_escaped(tmp_path):
    need_sandbox()
    subs = tmp_path / "subs"
    subs.mkdir()
    weird = subs / os.fsdecode(f"{CHAPTER}_caf".encode() + b"\xe9.ipynb")  # Latin-1, not UTF-8
    nbformat.write(trimmed("solved"), weird)
    write(subs, f"{CHAPTER}_plain.ipynb", trimmed("unsolved"))
    results = grade([subs], tmp_path / "out", ROOT, jobs=2, cell_timeout=CELL_TIMEOUT, progress=False)
    [r] = [r for r in results if "caf" in r.submission]
    assert r.submission.endswith(f"{CHAPTER}_caf\\xe9.ipynb")
    assert r.status == "ok" and r.score == r.max_score == len(NAMES)
    assert len(results) == 2 and "caf\\xe9" in (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")


def test_a_killed_driver_is_recorded_as_an_error(klass):
    r = klass.results["frames"]
    assert r.status == "error" and "ended before" in r.reason


# ------------------------------------------------------------------------------------- what a sandbox sees


def run_cells(tmp_path: Path, *sources: str, isolated: bool = True, **limits) -> list:
    """Run code cells through the driver in a sandbox; return each cell's record and outputs."""
    (tmp_path / "run").mkdir()
    lay = sandbox.layout(tmp_path / "run", isolated)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(s)) for s in sources])
    nbformat.write(nb, lay.host_inputs / "submission.ipynb")
    lim = sandbox.Limits(**limits)
    job = {
        "notebook": f"{lay.inputs}/submission.ipynb",
        "calls": lay.calls,
        "cwd": lay.cwd,
        "cell_timeout": 60,
        "total_timeout": 120,
        "max_cell_output": lim.cell_output,
        "max_notebook": lim.notebook,
        "max_file": lim.answers,
    }
    (lay.host_inputs / "job.json").write_text(json.dumps(job))
    run = sandbox.run_driver(
        lay, f"{lay.inputs}/job.json", limits=lim, wall_seconds=300, cpu_seconds=300, isolated=isolated, root=ROOT
    )
    assert run.frames.done, run
    return [(run.frames.cells[i], run.frames.notebook.cells[i].outputs) for i in range(len(sources))]


def printed(outputs) -> str:
    return "".join(o.get("text", "") for o in outputs if o.output_type == "stream")


def test_the_sandbox_sees_only_itself(tmp_path):
    need_sandbox()
    probe = f"""
        import json, os
        print(json.dumps({{
            "uid": os.getuid(),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "solutions": os.path.exists({str(ROOT / "solutions")!r}),
            "course": os.path.exists({str(ROOT / "course")!r}),
            "tests": os.path.exists({str(ROOT / "tests")!r}),
            "tmp_host": os.path.exists({str(tmp_path)!r}),
            "root": sorted(os.listdir("/")),
            "env": sorted(os.environ),
        }}))
    """
    [(record, outputs)] = run_cells(tmp_path, probe)
    seen = json.loads(printed(outputs))
    assert record.status == "ok"
    assert not seen["solutions"] and not seen["course"] and not seen["tests"] and not seen["tmp_host"]
    assert max(seen["pids"]) < 100, "it sees processes of the machine"
    if os.geteuid() == 0:
        assert seen["uid"] >= 1000, "the sandbox runs as root"
    assert "DLCOURSE_TEST_SECRET" not in seen["env"] and "DLCOURSE_GRADE_LOG" not in seen["env"]


def test_limits_hold_inside_the_sandbox(tmp_path):
    need_sandbox()
    code = """
        import os, resource
        print(resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_NPROC)[0],
              resource.getrlimit(resource.RLIMIT_FSIZE)[0])
        try:
            with open("/tmp/big", "wb") as f:
                f.write(b"x" * (3 * 2**20))
        except OSError as exc:
            print("fsize", exc.errno)
    """
    [(record, outputs)] = run_cells(tmp_path, code, memory=3 * 2**30, processes=300, file_size=2**20)
    limits, fsize = printed(outputs).splitlines()
    assert limits.split() == [str(3 * 2**30), "300", str(2**20)]
    assert fsize == "fsize 27"  # EFBIG


def test_cell_output_is_cut_to_size(tmp_path):
    need_sandbox()
    [(record, outputs)] = run_cells(tmp_path, "for i in range(2000):\n    print('z' * 1000)\n", cell_output=100_000)
    assert record.status == "ok"
    assert sum(len(o.get("text", "")) for o in outputs) < 200_000
    assert "output cut by dlcourse grade" in printed(outputs)


# ------------------------------------------------------------------------------- reading back, without a kernel


def frame(**fields) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def test_frames_of_the_wrong_shape_are_rejected():
    reader = FrameReader(max_bytes=10_000, max_notebook=1000)
    good = frame(kind="cell", index=2, status="ok", message="", seconds=0.1)
    bad = [
        b"not json\n",
        frame(kind="cell", index=-1, status="ok"),
        frame(kind="cell", index=3, status="passed"),
        frame(kind="cell", index=True, status="ok"),
        frame(kind="file", name="../escape", data=""),
        frame(kind="file", name=".hidden", data=""),
        frame(kind="file", name="a.npz", data="%%%"),
        frame(kind="notebook", text="{}"),
        frame(kind="pickle", data="gASV"),
        b"[" * 100_0 + b"\n",
        good,  # a second frame for the same cell
    ]
    reader.feed_bytes(good + b"".join(bad) + b'{"kind": "done"}')
    frames = reader.finish()
    assert list(frames.cells) == [2] and frames.files == {} and frames.notebook is None
    assert frames.rejected == len(bad) + 1 and not frames.done  # the last line has no newline


def test_reading_back_stops_at_the_cap():
    reader = FrameReader(max_bytes=1000, max_notebook=1000)
    for _ in range(100):
        reader.feed_bytes(frame(kind="file", name="x.npz", data="AAAA"))
    assert reader.frames.overflow and reader.frames.bytes_read == 1000
    assert list(reader.frames.files) == ["x.npz"]


def test_only_regular_files_are_read_as_submissions(tmp_path):
    target = tmp_path / "real.ipynb"
    target.write_text("{}")
    (tmp_path / "link.ipynb").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.ipynb")
    assert read_submission(target) == b"{}"
    for name, why in [("link.ipynb", "symbolic link"), ("pipe.ipynb", "not a regular file"), ("gone.ipynb", "cannot")]:
        with pytest.raises(NotGradable, match=why):
            read_submission(tmp_path / name)
    with pytest.raises(NotGradable, match="too large"):
        read_submission(target, max_bytes=1)
    assert display_name(Path(os.fsdecode(b"a/\xff.ipynb"))) == "a/\\xff.ipynb"


def test_limits_must_be_positive_integers():
    with pytest.raises(ValueError, match="limits.memory: expected a positive integer, got 0"):
        sandbox.Limits(memory=0)


def test_grade_one_refuses_a_link_without_reading_it(tmp_path):
    (tmp_path / f"{CHAPTER}_x.ipynb").symlink_to("/etc/passwd")
    r = grade_one(tmp_path / f"{CHAPTER}_x.ipynb", ROOT)
    assert r.status == "error" and "symbolic link" in r.reason and r.sha256 == "" and r.exercises == {}


def test_a_python_environment_under_tmp_is_not_hidden_by_the_sandboxs_own_tmp(tmp_path):
    """A virtual environment made under /tmp (as ``mktemp -d`` does) must stay visible inside the sandbox, whose
    /tmp is a tmpfs of its own: the grader's Python is mounted after it."""
    import subprocess
    import sys
    import sysconfig
    import venv

    need_sandbox()
    if not str(tmp_path).startswith("/tmp/"):
        pytest.skip("the temporary folder of this machine is not under /tmp")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the environment finds this installation's packages (and dlcourse) through a .pth file of its own
    (Path(site) / "grader.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    probe = (
        "from dlcourse.tools.grading.sandbox import unavailable; import sys; print(sys.prefix); print(unavailable())"
    )
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    prefix, why = out.stdout.strip().splitlines()[-2:]
    assert prefix == str(env_dir) and sys.prefix != prefix
    assert why == "None", why
