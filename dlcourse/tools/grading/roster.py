"""Who handed in what: submissions found with their place below the folder named, learner IDs, and the roster.

A learner's ID comes from where the file is:

* a notebook in a folder below the folder named on the command line belongs to that folder:
  ``submissions/alice/01_neurons_layers.ipynb`` and ``submitted/alice/ch01/01_neurons_layers.ipynb`` (nbgrader's
  layout) are ``alice``'s;
* a notebook directly in the folder named (or named itself) is named after its learner: ``01_alice.ipynb`` and
  ``01_neurons_layers_alice.ipynb`` are ``alice``'s; one that keeps the chapter's own name
  (``01_neurons_layers.ipynb``) belongs to the folder it is in.

The roster is a CSV file with a header row: an ``id`` column (required; matched to the IDs above ignoring case),
and optionally ``name`` and ``email``; other columns are ignored. With a roster, the grade book lists every learner
on it (those who handed in nothing with 0 points) and reports the submissions of IDs it does not list.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_CHAPTER_PREFIX = re.compile(r"(\d\d)[_-](.*)")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@+-]")


@dataclass(frozen=True)
class Submission:
    """A notebook to grade: its ``path`` and its ``key``, the path below the folder named on the command line
    (POSIX, or the file's name when the file itself was named; a name that is not valid UTF-8 with its bytes
    escaped): the same on every machine that grades it."""

    path: Path
    key: str


@dataclass(frozen=True)
class Learner:
    """One line of the roster."""

    id: str
    name: str = ""
    email: str = ""


def submission_name(path: str | Path) -> str:
    """How the grade book names a submission: its path as given, a name that is not valid UTF-8 with its bytes
    escaped (so any file or table can hold it)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text


def locate(paths: list[str | Path] | tuple[str | Path, ...]) -> list[Submission]:
    """Notebook files named directly, and every .ipynb below named folders (checkpoints excluded), with keys."""
    found: list[Submission] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [
                Submission(q, submission_name(q.relative_to(p).as_posix()))
                for q in sorted(p.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in q.parts
            ]
        elif p.exists():
            found.append(Submission(p, submission_name(p.name)))
        else:
            raise ValueError(f"submissions: {p} does not exist")
    if not found:
        raise ValueError(f"submissions: no .ipynb files in {', '.join(map(str, paths))}")
    unique: dict[Path, Submission] = {}
    for sub in found:
        unique.setdefault(sub.path, sub)
    return list(unique.values())


def learner_id(submission: Submission, topics: dict[str, str]) -> str:
    """The learner a submission belongs to (see the module's docstring).

    ``topics`` maps chapter numbers to the chapters' names (``{"01": "neurons_layers"}``), to tell a file that
    keeps its chapter's name from one named after its learner.
    """
    parts = PurePosixPath(submission.key).parts
    if len(parts) > 1:
        return parts[0]
    stem = PurePosixPath(parts[0]).stem
    match = _CHAPTER_PREFIX.fullmatch(stem)
    if not match and not re.fullmatch(r"\d\d", stem):
        return stem
    rest = match.group(2) if match else ""
    topic = topics.get(match.group(1)) if match else None
    if topic:
        if rest == topic:
            rest = ""
        elif rest.startswith(topic + "_"):
            rest = rest[len(topic) + 1 :]
        elif rest.endswith("_" + topic):
            rest = rest[: -len(topic) - 1]
    return rest or Path(submission.path).resolve().parent.name or stem


def safe_name(text: str) -> str:
    """``text`` as one file or folder name: characters other than letters, digits and ``_.@+-`` become ``_``, and
    it never starts with a dot (so ``..`` cannot climb out of the grade book)."""
    name = _UNSAFE.sub("_", text) or "_"
    return "_" + name if name.startswith(".") else name


def read_roster(path: str | Path) -> list[Learner]:
    """The learners of a roster CSV file, in its order; a malformed roster raises a ValueError saying where."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster: {path} does not exist or is not a file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"roster: {path} is not a UTF-8 CSV file ({exc})") from None
    if not rows:
        raise ValueError(f"roster: {path} is empty; expected a header row with an 'id' column")
    header = [h.strip().lower() for h in rows[0]]
    if "id" not in header:
        raise ValueError(
            f"roster: {path} has no 'id' column (expected a header row such as 'id,name,email'; "
            f"found {', '.join(repr(h) for h in rows[0]) or 'nothing'})"
        )
    column = {name: header.index(name) for name in ("id", "name", "email") if name in header}
    learners: list[Learner] = []
    first_line: dict[str, int] = {}
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are allowed

        def cell(name: str, row: list[str] = row) -> str:
            i = column.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        learner_id_ = cell("id")
        if not learner_id_:
            raise ValueError(f"roster: {path}, line {line}: the id is empty")
        folded = learner_id_.casefold()
        if folded in first_line:
            raise ValueError(
                f"roster: {path}, line {line}: id {learner_id_!r} is listed twice (first on line {first_line[folded]})"
            )
        first_line[folded] = line
        learners.append(Learner(learner_id_, cell("name"), cell("email")))
    if not learners:
        raise ValueError(f"roster: {path} lists no learners (only a header row)")
    return learners


def write_roster(learners: list[Learner], path: Path) -> None:
    """Write ``learners`` as a roster CSV (id, name, email) that :func:`read_roster` reads back."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "email"])
        writer.writerows([learner.id, learner.name, learner.email] for learner in learners)
