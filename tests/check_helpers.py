"""What the tests of every chapter's exercise checks share: run a check, read its line, expect its failure."""

from __future__ import annotations

import contextlib
import io

import pytest

from dlcourse.checks import CheckFailure


def printed(check, *args, **kwargs) -> str:
    """What a passing check prints."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        check(*args, **kwargs)
    return buf.getvalue()


def fails(check, fn, *patterns) -> str:
    """Run the check on ``fn``, expect a CheckFailure whose message contains every pattern; return the message."""
    with pytest.raises(CheckFailure) as info:
        check(fn)
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, f"{pattern!r} not in message:\n{message}"
    assert "Traceback" not in message
    return message


def not_implemented(*args, **kwargs):
    """A learner's untouched exercise."""
    raise NotImplementedError()


def returns_none(*args, **kwargs):
    """A learner's function that forgot to return."""
    return None
