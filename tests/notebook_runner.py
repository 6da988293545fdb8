"""Execute a notebook the way the budget and learner tests need: offline, timed, with the kernel's peak memory.

Two cells are injected into a copy of the notebook: a first one that refuses every network connection that is not
to this machine (the course must run offline), and a last one that reports the kernel's peak resident memory
(VmHWM from /proc; not ``ru_maxrss``, which Linux carries over from the process that forked the kernel).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbval.kernel import CURRENT_ENV_KERNEL_NAME, NbvalKernelspecManager

OFFLINE_GUARD = """\
import socket as _socket
def _loopback_only(_connect):
    def connect(self, address, *args):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (_socket.AF_INET, _socket.AF_INET6) and not (
                str(host).startswith("127.") or host in ("localhost", "::1")):
            raise OSError(f"network access is not allowed in course notebooks (tried {address})")
        return _connect(self, address, *args)
    return connect
_socket.socket.connect = _loopback_only(_socket.socket.connect)
del _loopback_only
"""

PEAK_MEMORY = """\
import json as _json, os as _os, re as _re
try:        # Linux: the peak resident set of this process since it started (VmHWM), in KiB
    with open(f"/proc/{_os.getpid()}/status") as _f:
        _peak = int(_re.search(r"VmHWM:\\s+(\\d+) kB", _f.read()).group(1))
except OSError:   # elsewhere: ru_maxrss, which on Linux would also count the forking parent's peak
    import resource as _resource
    _peak = _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss
print("__PEAK_KIB__" + _json.dumps(_peak))
"""


def peak_mib_of(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a running process, in MiB, from Linux's /proc (None elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else None


@dataclass
class Run:
    path: Path
    seconds: float
    peak_mib: float
    nb: nbformat.NotebookNode | None  # executed, without the injected cells (None: measured by nbval)
    errors: dict[int, str] = field(default_factory=dict)  # cell index -> "ename: evalue"
    source: str = "own run"  # who measured: nbval's run, or this module's own run


def execute(path: Path, *, allow_errors: bool = False, timeout: int = 300) -> Run:
    """Run ``path`` top to bottom in a fresh kernel of this Python, offline, in the notebook's own folder."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(OFFLINE_GUARD))
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY))
    # the kernel runs in this Python environment, whatever kernelspecs the machine has (as nbval-current-env)
    km = KernelManager(kernel_name=CURRENT_ENV_KERNEL_NAME, kernel_spec_manager=NbvalKernelspecManager())
    client = NotebookClient(
        nb, km=km, timeout=timeout, allow_errors=allow_errors, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    peak_line = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    peak_kib = json.loads(peak_line.split("__PEAK_KIB__", 1)[1])
    nb.cells = nb.cells[1:-1]
    errors = {
        i: f"{o.ename}: {o.evalue}"
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    }
    return Run(path, seconds, peak_kib / 1024, nb, errors)


#: notebook name -> Run, for the summary printed at the end of the test session
RUNS_KEY = pytest.StashKey[dict]()
#: notebook name -> {"seconds", "peak_mib", "failed"}, measured by conftest.py's hooks during nbval's run
NBVAL_KEY = pytest.StashKey[dict]()
