"""The course's own tooling, apart from the library that learners read:

* :mod:`~dlcourse.tools.cli` — the ``dlcourse`` command (build, grade, export, bench);
* :mod:`~dlcourse.tools.notebooks` — solutions/ to course/: answers stripped, outputs cleared, staleness checked;
* :mod:`~dlcourse.tools.grading` — ``dlcourse grade``: learners' notebooks run and graded per exercise;
* :mod:`~dlcourse.tools.nbval_checks` — a pytest plugin: under nbval, exercise and check cells fail when they raise;
* :mod:`~dlcourse.tools.export` — printable HTML of the chapters, math typeset at export time;
* :mod:`~dlcourse.tools.bench` — the from-scratch kernels timed against PyTorch.
"""
