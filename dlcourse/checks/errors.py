"""The one exception a check raises, shown in Jupyter as a short message instead of a traceback."""

from __future__ import annotations


class CheckFailure(AssertionError):
    """A check found a problem. The message says what, where, by how much, and gives a hint.

    In IPython/Jupyter only the message is displayed (``_render_traceback_``): the frames inside dlcourse
    would tell a learner nothing. nbval and pytest still see an ordinary failing cell or test.
    """

    def _render_traceback_(self):
        return [f"\x1b[1;31m{line}\x1b[0m" if i == 0 else line for i, line in enumerate(str(self).splitlines())]
