"""A sandbox for one submission: bubblewrap namespaces, a private file system view, resource limits, an own user.

A learner's notebook is untrusted code. :func:`run_driver` runs the grading driver
(:mod:`dlcourse.tools.grading.driver`) on one submission inside ``bwrap`` (bubblewrap):

* **what it sees**: a root file system of its own (tmpfs) holding only, read-only, the system folders (``/usr``
  and its links), the Python installation and environment running the grader, the ``dlcourse`` package and the
  data sets' cache folder; its input folder (the notebook, the job, the cases) read-only at ``/sandbox/in``; and,
  writable, a private ``/tmp`` and ``/sandbox`` (work folder, home, answers), each a tmpfs of at most
  ``Limits.disk`` bytes. Nothing of the grader's: not the course folder, not ``solutions/``, not the other
  submissions, not the grade book, not the grader's environment (the driver starts with a minimal one);
* **namespaces**: its own process ids (it sees none of the machine's processes and none of the other
  submissions'), network (loopback only: no network), IPC, host name; with ``--die-with-parent``, and when its
  first process ends, or the grader kills it, every process it started dies with it, detached or not;
* **user**: run as root, the grader runs the sandbox as an unprivileged user of its own (a user id leased per
  sandbox from :data:`UID_BASE` up, all capabilities dropped, ``no_new_privs``); run as another user, the sandbox
  runs in a user namespace of that user that cannot create further user namespaces;
* **limits** (``prlimit``, per process): address space, processes and threads, CPU time, file size, open files,
  no core dumps; and everything read back is capped at ``Limits.output`` bytes.

Without bubblewrap, user namespaces or util-linux (``prlimit``, ``setpriv``), :func:`unavailable` says why and
grading refuses to start, unless asked to run without isolation (``dlcourse grade --no-sandbox``), which marks
every result as graded without a sandbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .transport import FrameReader, Frames

MiB = 2**20
GiB = 2**30
#: the first user id a sandbox runs as when the grader is root (one id per running sandbox, the lowest free one);
#: ``DLCOURSE_SANDBOX_UID`` sets another
UID_BASE = 1_990_000_000
UID_COUNT = 4096
SANDBOX = "/sandbox"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts")
#: seconds the grader waits for a sandbox to end after killing it (it normally ends at once)
KILL_WAIT = 60


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message says why and what to install or enable."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (bytes unless said otherwise)."""

    memory: int = 4 * GiB  # address space of each process (RLIMIT_AS)
    processes: int = 512  # processes and threads (RLIMIT_NPROC)
    file_size: int = 256 * MiB  # the largest file a process may write (RLIMIT_FSIZE)
    disk: int = 512 * MiB  # size of each writable folder (/tmp, /sandbox)
    open_files: int = 1024  # open files per process (RLIMIT_NOFILE)
    output: int = 64 * MiB  # everything read back from the sandbox
    notebook: int = 16 * MiB  # the executed notebook read back
    cell_output: int = 2 * MiB  # outputs kept per cell in the executed notebook
    answers: int = 16 * MiB  # each file of answers read back

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"limits.{name}: expected a positive integer, got {value!r}")


@dataclass(frozen=True)
class Layout:
    """Where a run's files are: ``host`` for the grader, the other paths as the driver and the kernel see them."""

    host: Path  # the grader's private temporary folder of this run
    inputs: str  # read-only for the sandbox: the notebook, the job, the cases
    calls: str  # where the kernel writes the answers it collected
    cwd: str  # the kernel's working folder
    home: str
    tmp: str

    @property
    def host_inputs(self) -> Path:
        return self.host / "in"


def layout(host: Path, isolated: bool) -> Layout:
    """The paths of a run whose private folder is ``host``; the input folder is created."""
    host = Path(host)
    (host / "in").mkdir(mode=0o700)
    if isolated:
        return Layout(host, f"{SANDBOX}/in", f"{SANDBOX}/out/calls", f"{SANDBOX}/work", f"{SANDBOX}/home", "/tmp")
    for name in ("out", "work", "home", "tmp"):
        (host / name).mkdir(mode=0o700)
    return Layout(
        host, str(host / "in"), str(host / "out" / "calls"), str(host / "work"), str(host / "home"), str(host / "tmp")
    )


@dataclass
class Run:
    """What one run of the driver gave back."""

    frames: Frames
    returncode: int | None
    timed_out: bool
    stderr: str
    seconds: float
    isolated: bool


# ------------------------------------------------------------------------------------------- what gets mounted


def _python_dirs() -> list[Path]:
    """The folders the grader's Python needs: installation, environment, site-packages, the dlcourse package."""
    import dlcourse

    dirs = {Path(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix)}
    dirs.add(Path(sys.executable).resolve().parent.parent)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        dirs.add(Path(sysconfig.get_paths()[key]))
    dirs |= {
        Path(p) for p in sys.path if p and Path(p).is_dir() and {"site-packages", "dist-packages"} & set(Path(p).parts)
    }
    dirs.add(Path(dlcourse.__file__).resolve().parent)
    found = sorted({d.resolve() for d in dirs if d.is_dir()})
    return [d for d in found if not any(d != o and d.is_relative_to(o) for o in found)]


def _data_cache() -> Path | None:
    try:
        from ...data.downloads import cache_dir

        folder = Path(cache_dir()).resolve()
    except Exception:  # (no cache configured: nothing to mount)
        return None
    return folder if folder.is_dir() else None


def _parents(dest: str, made: set[str]) -> list[str]:
    """Options creating the folders above ``dest`` readable by all (bwrap would make them private to root)."""
    args = []
    for parent in reversed(Path(dest).parents[:-1]):  # from the top, without "/"
        if str(parent) not in made:
            made.add(str(parent))
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def mounts(made: set[str]) -> list[str]:
    """bwrap's options for the read-only system part of the view (a tmpfs root with the system folders)."""
    args = ["--tmpfs", "/"]
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for f in ETC_FILES:
        if os.path.exists(f):
            args += [*_parents(f, made), "--ro-bind", f, f]
    return args


def python_mounts(made: set[str], root: Path | None = None) -> list[str]:
    """bwrap's options showing the grader's Python read-only; refuses a folder that would expose ``root`` (the
    course folder, which holds solutions/). They come after the sandbox's own /tmp, so that an environment kept
    under /tmp (a virtual environment made with ``mktemp -d``, say) is not hidden by it."""
    args: list[str] = []
    guarded = Path(root).resolve() if root is not None else None
    for d in _python_dirs():
        if guarded is not None and (guarded == d or guarded.is_relative_to(d)):
            raise SandboxUnavailable(
                f"the Python environment ({d}) contains the course folder {guarded}: the sandbox would see "
                "solutions/; install dlcourse in a virtual environment or package folder of its own"
            )
        if not any(str(d).startswith(s + "/") or str(d) == s for s in SYSTEM_DIRS):
            args += [*_parents(str(d), made), "--ro-bind", str(d), str(d)]
    return args


def _passwd(uid: int, gid: int) -> str:
    return f"root:x:0:0:root:/root:/usr/sbin/nologin\nlearner:x:{uid}:{gid}:learner:{SANDBOX}/home:/usr/sbin/nologin\n"


def bwrap_command(
    lay: Layout,
    inner: list[str],
    *,
    limits: Limits,
    cpu_seconds: int,
    uid: int | None,
    root: Path | None = None,
    info_fd: int | None = None,
) -> list[str]:
    """The whole bwrap argument list (without the program name) that runs ``inner`` in the sandbox.

    ``uid``: the unprivileged user the sandbox runs as when the grader is root (None: the grader's own user, in a
    user namespace).
    """
    host_in = str(lay.host_inputs)
    etc = lay.host / "etc"
    etc.mkdir(exist_ok=True)
    ids = (uid, uid) if uid is not None else (os.getuid(), os.getgid())
    (etc / "passwd").write_text(_passwd(*ids), encoding="utf-8")
    (etc / "group").write_text(f"root:x:0:\nlearner:x:{ids[1]}:\n", encoding="utf-8")
    made: set[str] = set()
    if uid is None:
        namespaces = ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:  # root: bwrap keeps its privileges to mount, the command drops to `uid` (setpriv below)
        namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args = [
        *namespaces,
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        *mounts(made),
        "--perms",
        "0755",
        "--dir",
        "/etc",
        "--ro-bind",
        str(etc / "passwd"),
        "/etc/passwd",
        "--ro-bind",
        str(etc / "group"),
        "/etc/group",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(limits.disk),
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(min(limits.disk, 64 * MiB)),
        "--tmpfs",
        "/dev/shm",
        "--perms",
        "0755",
        "--size",
        str(limits.disk),
        "--tmpfs",
        SANDBOX,
        *python_mounts(made, root),
        "--ro-bind",
        host_in,
        lay.inputs,
    ]
    for d in ("out", "work", "home"):
        args += ["--perms", "1777", "--dir", f"{SANDBOX}/{d}"]
    cache = _data_cache()
    guarded = Path(root).resolve() if root is not None else None
    if cache is not None and not (guarded is not None and (guarded == cache or guarded.is_relative_to(cache))):
        args += ["--ro-bind", str(cache), f"{SANDBOX}/data"]
    args += ["--chdir", lay.cwd]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    args.append("--")
    if uid is not None:
        args += [
            "/usr/bin/setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    return args + prlimit(limits, cpu_seconds) + inner


def prlimit(limits: Limits, cpu_seconds: int, *, processes: bool = True) -> list[str]:
    """``prlimit`` with the sandbox's limits, set inside the sandbox (so that the process count is its own; without
    a sandbox, ``processes=False``: the count would be the whole user's)."""
    pairs = {
        "as": limits.memory,
        **({"nproc": limits.processes} if processes else {}),
        "cpu": cpu_seconds,
        "fsize": limits.file_size,
        "nofile": limits.open_files,
        "core": 0,
    }
    return ["/usr/bin/prlimit", *(f"--{k}={v}:{v}" for k, v in pairs.items()), "--"]


def driver_command(job: str) -> list[str]:
    """The driver, run with the grader's Python, isolated from the environment's PYTHON* variables."""
    return [sys.executable, "-I", "-m", "dlcourse.tools.grading.driver", job]


def environment(lay: Layout, isolated: bool) -> dict[str, str]:
    """The driver's whole environment: nothing of the grader's but what the kernel needs."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": lay.home,
        "TMPDIR": lay.tmp,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if isolated and _data_cache() is not None:
        env["DLCOURSE_DATA"] = f"{SANDBOX}/data"
    return env


# ----------------------------------------------------------------------------------------------- user ids (root)


def _uid_busy(uid: int) -> bool:
    """Whether any process on the machine runs with real user id ``uid``."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            return True
                        break
        except (OSError, ValueError, IndexError):
            continue
    return False


def uid_base() -> int:
    """The first user id sandboxes run as (``DLCOURSE_SANDBOX_UID``, else :data:`UID_BASE`)."""
    value = os.environ.get("DLCOURSE_SANDBOX_UID", "")
    try:
        base = int(value) if value else UID_BASE
    except ValueError:
        raise ValueError(f"DLCOURSE_SANDBOX_UID: expected a user id (an integer), got {value!r}") from None
    if not 1000 <= base <= 2**31 - 1 - UID_COUNT:
        raise ValueError(
            f"DLCOURSE_SANDBOX_UID: expected a user id between 1000 and {2**31 - 1 - UID_COUNT}, got {base}"
        )
    return base


def _lock_dir() -> Path:
    for folder in (Path("/run/dlcourse-grade"), Path(tempfile.gettempdir()) / "dlcourse-grade-uids"):
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            st = folder.lstat()
        except OSError:
            continue
        if folder.is_dir() and not folder.is_symlink() and st.st_uid == os.getuid() and not st.st_mode & 0o022:
            return folder
    raise SandboxUnavailable("no private folder for the sandboxes' user-id locks (/run or the temporary folder)")


@contextlib.contextmanager
def lease_uid() -> Iterator[int]:
    """An unprivileged user id for one sandbox: the lowest one from :func:`uid_base` that no other sandbox (of
    this or another grading run) holds and no process uses. Held until the block ends."""
    base, folder = uid_base(), _lock_dir()
    for uid in range(base, base + UID_COUNT):
        handle = open(folder / f"{uid}.lock", "a+")  # held while the sandbox runs
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        if _uid_busy(uid):
            handle.close()
            continue
        try:
            yield uid
        finally:
            handle.close()
        return
    raise SandboxUnavailable(f"no free user id for a sandbox in {base}..{base + UID_COUNT - 1}")


def _wait_uid_gone(uid: int, seconds: float) -> None:
    """Wait until no process of ``uid`` is left (they are being killed with their namespace); kill stragglers."""
    end = time.monotonic() + seconds
    while _uid_busy(uid):
        if time.monotonic() > end:
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    with contextlib.suppress(OSError):
                        if entry.stat().st_uid == uid:
                            os.kill(int(entry.name), signal.SIGKILL)
            end = time.monotonic() + seconds
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------------- running


@functools.cache
def _probe(root: str | None) -> str | None:
    if sys.platform != "linux":
        return f"the sandbox needs Linux (this is {sys.platform})"
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None and not Path(f"/usr/bin/{tool}").exists():
            package = "bubblewrap" if tool == "bwrap" else "util-linux"
            return f"'{tool}' was not found: install the package {package}"
    with tempfile.TemporaryDirectory(prefix="dlcourse-probe-") as tmp:
        lay = layout(Path(tmp), isolated=True)
        inner = [sys.executable, "-I", "-c", "import dlcourse.tools.grading.driver, nbclient, ipykernel"]
        try:
            with contextlib.ExitStack() as stack:
                uid = stack.enter_context(lease_uid()) if os.geteuid() == 0 else None
                if uid is not None:
                    os.chown(lay.host_inputs, uid, uid)
                args = bwrap_command(
                    lay, inner, limits=Limits(), cpu_seconds=60, uid=uid, root=Path(root) if root else None
                )
                proc = subprocess.run(
                    [shutil.which("bwrap") or "/usr/bin/bwrap", *args],
                    env=environment(lay, True),
                    capture_output=True,
                    umask=0o022,
                    timeout=300,
                )
        except (SandboxUnavailable, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        hint = ""
        if b"namespace" in proc.stderr or b"uid map" in proc.stderr:
            hint = " (unprivileged user namespaces must be enabled: sysctl kernel.unprivileged_userns_clone=1)"
        return f"bwrap could not start the sandbox{hint}: {' | '.join(why) or f'exit {proc.returncode}'}"
    return None


def unavailable(root: Path | None = None) -> str | None:
    """None when submissions can be sandboxed here, else why not (checked once per course folder)."""
    return _probe(str(Path(root).resolve()) if root is not None else None)


def require(root: Path | None = None) -> None:
    """Raise :class:`SandboxUnavailable` when submissions cannot be sandboxed here."""
    why = unavailable(root)
    if why:
        raise SandboxUnavailable(why)


def _prepare_inputs(folder: Path, uid: int) -> None:
    """Hand the input folder to the sandbox's user, read-only."""
    for dirpath, dirnames, filenames in os.walk(folder):
        os.chown(dirpath, uid, uid)
        os.chmod(dirpath, 0o500)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)
            os.chmod(os.path.join(dirpath, name), 0o400)


def run_driver(
    lay: Layout,
    job: str,
    *,
    limits: Limits,
    wall_seconds: float,
    cpu_seconds: int,
    isolated: bool = True,
    root: Path | None = None,
) -> Run:
    """Run the driver on ``job`` (a path as the driver sees it) and read its frames back, capped.

    The run is stopped (with everything it started) after ``wall_seconds``, or as soon as it sends more than
    ``limits.output`` bytes.
    """
    with contextlib.ExitStack() as stack:
        uid = None
        if isolated and os.geteuid() == 0:
            uid = stack.enter_context(lease_uid())
            _prepare_inputs(lay.host_inputs, uid)
        try:
            return _run(lay, job, limits, wall_seconds, cpu_seconds, isolated, uid, root)
        finally:
            if uid is not None:
                _wait_uid_gone(uid, KILL_WAIT)


def _run(
    lay: Layout,
    job: str,
    limits: Limits,
    wall_seconds: float,
    cpu_seconds: int,
    isolated: bool,
    uid: int | None,
    root: Path | None,
) -> Run:
    start = time.monotonic()
    env = environment(lay, isolated)
    reader = FrameReader(limits.output, limits.notebook)
    pass_fds: tuple[int, ...] = ()
    info = bytearray()
    if isolated:
        args_r, args_w = os.pipe()
        info_r, info_w = os.pipe()
        args = bwrap_command(
            lay, driver_command(job), limits=limits, cpu_seconds=cpu_seconds, uid=uid, root=root, info_fd=info_w
        )
        split = args.index("--")
        os.write(args_w, b"".join(a.encode() + b"\0" for a in args[:split]))  # far below a pipe's capacity
        os.close(args_w)
        # the options (the grader's paths) come through a pipe: the sandbox cannot read them in /proc/1/cmdline
        cmd = [shutil.which("bwrap") or "/usr/bin/bwrap", "--args", str(args_r), *args[split:]]
        pass_fds = (args_r, info_w)
    else:
        cmd = [*prlimit(limits, cpu_seconds, processes=False), *driver_command(job)]
    proc = subprocess.Popen(
        cmd,
        cwd=None if isolated else lay.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        pass_fds=pass_fds,
        umask=0o022,  # the folders bwrap creates for mount points must be readable by the sandbox's user
    )
    streams = {proc.stdout.fileno(): "out", proc.stderr.fileno(): "err"}
    if isolated:
        os.close(args_r)
        os.close(info_w)
        streams[info_r] = "info"

    def kill() -> None:
        pid = _child_pid(info)
        if pid is not None:  # the sandbox's first process: every process in its namespace dies with it
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    stderr = bytearray()
    timed_out = False
    killed_at = None
    deadline = start + wall_seconds
    try:
        while streams:
            now = time.monotonic()
            if killed_at is None and now >= deadline:
                timed_out = True
                kill()
                killed_at = now
            if killed_at is not None and now - killed_at > KILL_WAIT:
                break  # something outside the sandbox holds the pipes (possible only without isolation)
            ready, _, _ = select.select(list(streams), [], [], 0.5)
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                kind = streams[fd]
                if not chunk:
                    del streams[fd]
                    if kind == "info":
                        os.close(fd)
                elif kind == "err":
                    stderr += chunk
                    del stderr[: max(0, len(stderr) - 8192)]
                elif kind == "info":
                    info += chunk[: max(0, 4096 - len(info))]
                else:
                    reader.feed_bytes(chunk)
                    if reader.frames.overflow and killed_at is None:
                        kill()
                        killed_at = time.monotonic()
    finally:
        for fd, kind in streams.items():
            if kind == "info":
                os.close(fd)
        if proc.poll() is None:
            try:
                proc.wait(timeout=KILL_WAIT)
            except subprocess.TimeoutExpired:
                kill()
                proc.wait()
        if not isolated:  # whatever the driver left in its session
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
        proc.stderr.close()
    return Run(
        frames=reader.finish(),
        returncode=proc.returncode,
        timed_out=timed_out,
        stderr=stderr.decode(errors="replace"),
        seconds=round(time.monotonic() - start, 2),
        isolated=isolated,
    )


def _child_pid(info: bytes) -> int | None:
    """The host pid of the sandbox's first process, from bwrap's --info-fd (None until bwrap has written it)."""
    try:
        pid = json.loads(info.decode()).get("child-pid")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return pid if type(pid) is int and pid > 1 else None
