"""The grade book's seals: a rerun keeps a stored result only if the grader wrote it, unchanged, with these settings.

Every result file the grader writes (``results/<name>.json``) gets a seal: an HMAC-SHA256 of the file's name, its
bytes and the settings it was graded with, under a key that only the grader reads::

    DIR/.grader/              0700, the grader's
    DIR/.grader/key           32 random bytes, 0600, made on the first run
    DIR/.grader/seals/<name>.json   {"hmac": "...", "settings": {"cell_timeout": 60, "total_timeout": 900, ...}}

Before a rerun skips a submission, :func:`check` says whether its stored result may be kept:

* no seal, or a seal that does not match the file (edited, replaced, forged with the submission's SHA-256, copied
  from another submission): not the grader's, regraded;
* the result depended on the grader's settings (an error, or a reason such as a cell's time limit, or graded
  without a sandbox) and the settings changed since: regraded with the new ones;
* otherwise kept.

A key that others could read (its folder or file open to the group or others, or owned by someone else) is
replaced by a new one, so every result is regraded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
FOLDER = ".grader"


def settings(*, cell_timeout: float, total_timeout: float, sandboxed: bool, limits: object = None) -> dict:
    """The grading settings a result is sealed with (what, changed, may change a result's outcome)."""
    data = {"cell_timeout": float(cell_timeout), "total_timeout": float(total_timeout), "sandboxed": bool(sandboxed)}
    if limits is not None:
        data["limits"] = {k: getattr(limits, k) for k in sorted(getattr(limits, "__dataclass_fields__", {}))}
    return data


def _private_dir(path: Path) -> bool:
    """Make sure ``path`` is a folder of the grader's, closed to others; True if it was open to them."""
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise ValueError(f"out: {path} must be a folder of the grader's, not a link or a file")
    if info.st_uid != os.geteuid():
        raise ValueError(f"out: {path} belongs to another user; remove it to start a new grade book")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
        return True
    return False


def key(out: Path) -> bytes:
    """The grade book's key, made on first use; replaced when others could have read it."""
    folder = Path(out) / FOLDER
    was_open = _private_dir(folder)
    path = folder / "key"
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    if info is not None:
        exposed = (
            was_open
            or not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & 0o077
            or info.st_size != KEY_BYTES
        )
        if not exposed:
            with open(path, "rb") as f:
                return f.read()
        path.unlink()  # a key others may have read seals nothing: start again
    new = secrets.token_bytes(KEY_BYTES)
    tmp = folder / f"key.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(new)
    os.replace(tmp, path)
    return new


def _seal_path(out: Path, result_file: Path) -> Path:
    return Path(out) / FOLDER / "seals" / f"{Path(result_file).name}.seal"


def _mac(secret: bytes, result_file: Path, content: bytes, config: dict) -> str:
    message = json.dumps([Path(result_file).name, hashlib.sha256(content).hexdigest(), config], sort_keys=True)
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _read_regular(path: Path, max_bytes: int = 64 * 2**20) -> bytes | None:
    """The bytes of a regular file (a link is not followed), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        data = f.read(max_bytes + 1)
    return None if len(data) > max_bytes else data


def seal(out: Path, result_file: Path, config: dict) -> None:
    """Record that the grader wrote ``result_file`` as it is now, graded with ``config`` (:func:`settings`)."""
    content = _read_regular(Path(result_file))
    if content is None:
        raise ValueError(f"cannot seal {result_file}: not a regular file")
    folder = Path(out) / FOLDER / "seals"
    _private_dir(Path(out) / FOLDER)
    folder.mkdir(mode=0o700, exist_ok=True)
    text = json.dumps({"hmac": _mac(key(out), result_file, content, config), "settings": config})
    target = _seal_path(out, result_file)
    tmp = target.with_name(target.name + f".{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def _depends_on_settings(content: bytes) -> bool:
    try:
        data = json.loads(content)
        return data.get("status") != "ok" or bool(data.get("reason"))
    except (ValueError, AttributeError):
        return True


def read_key(out: Path) -> bytes | None:
    """The grade book's key as it is (never made or replaced), or None: for checking another grade book's seals."""
    content = _read_regular(Path(out) / FOLDER / "key", KEY_BYTES)
    return content if content is not None and len(content) == KEY_BYTES else None


def _stored(out: Path, result_file: Path) -> tuple[str, dict] | None:
    """The seal of ``result_file`` (its HMAC and settings), or None when there is no readable one."""
    try:
        stored = json.loads(_seal_path(out, result_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict):
        return None
    mac, sealed = stored.get("hmac"), stored.get("settings")
    return (mac, sealed) if isinstance(mac, str) and isinstance(sealed, dict) else None


def sealed_settings(out: Path, result_file: Path) -> dict | None:
    """The settings ``result_file`` was sealed with, or None when it has no readable seal."""
    stored = _stored(out, result_file)
    return stored[1] if stored is not None else None


def verify(out: Path, result_file: Path, secret: bytes | None = None) -> str | None:
    """None when ``result_file`` is, byte for byte, what the grader sealed; else why not.

    ``secret``: the key to check with (default: the grade book's own, see :func:`key`).
    """
    content = _read_regular(Path(result_file))
    if content is None:
        return "not a regular file" if os.path.lexists(result_file) else "missing"
    stored = _stored(out, result_file)
    if stored is None:
        return "it has no seal: the grader did not write it"
    mac, sealed = stored
    secret = key(out) if secret is None else secret
    if not hmac.compare_digest(mac.encode(), _mac(secret, result_file, content, sealed).encode()):
        return "it does not match what the grader wrote (changed or replaced since)"
    return None


def check(out: Path, result_file: Path, config: dict) -> str | None:
    """None when the stored ``result_file`` may be kept under ``config``; else why it must be graded again."""
    content = _read_regular(Path(result_file))
    if content is None:
        return None if not os.path.lexists(result_file) else "the stored result is not a regular file"
    why = verify(out, result_file)
    if why is not None:
        return f"the stored result was not kept: {why}"
    sealed = sealed_settings(out, result_file) or {}
    if sealed != config and _depends_on_settings(content):
        changed = sorted(k for k in {*sealed, *config} if sealed.get(k) != config.get(k))
        return f"graded with other settings ({', '.join(changed)}), on which its outcome depended"
    return None
