"""A class graded in N pieces at once, and the pieces merged into one grade book.

``dlcourse grade SUBMISSIONS --out DIR --shard K/N`` grades the submissions whose key (the path below the folder
named, see :mod:`.roster`) hashes to shard K of N: the same split on every machine and every run, whatever the
order the files are found in, so N jobs given the same folder grade every submission exactly once between them.
Each writes an ordinary grade book plus ``shard.json``:

    {"shard": K, "of": N, "seen": how many submissions the folder held, "seen_digest": SHA-256 of their keys,
     "assigned": {submission: {"key": ..., "sha256": ...}, ...}}

``dlcourse merge-grades OUT DIR1 ... DIRN`` (also spelt ``dlcourse grade merge OUT DIR1 ...``) checks that the
pieces fit before writing anything: N outputs, shards 1 to N once each, all from the same submissions and the same
course (``course.json``), every submission a shard was given graded there, from the very file it was given (its
SHA-256), every result sealed by its shard's grader (see :mod:`.integrity`: unchanged since), and no submission
in two shards. Then it copies the records (sealed again with OUT's key), index and feedback pages
into OUT and writes the tables, which are those of grading everything in one run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from . import integrity
from .gradebook import (
    COURSE,
    INDEX,
    ROSTER,
    read_json,
    read_result,
    save_roster,
    write_json,
    write_tables,
)
from .record import GradeResult
from .roster import Learner, Submission, read_roster, submission_name

MANIFEST = "shard.json"
MERGED = "merged.json"
#: what merge copies from each shard besides the records: the folders of files the index points to
COPIED_FOLDERS = ("feedback", "executed")


def parse_shard(value: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"K/N"`` (or ``(K, N)``) as ``(K, N)`` with 1 <= K <= N; None stays None. Else a ValueError naming --shard."""
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        k, n = value
    else:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
        if not match:
            raise ValueError(f"--shard: expected K/N, this job's shard K of N (e.g. 2/8), got {value!r}")
        k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n:
        raise ValueError(f"--shard: expected K/N with 1 <= K <= N (shards count from 1), got {k}/{n}")
    return k, n


def shard_of(key: str, count: int) -> int:
    """The shard (1 to ``count``) of a submission's key: from its SHA-256, so stable everywhere."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16) % count + 1


def keys_digest(keys: list[str]) -> str:
    """A fingerprint of the set of submission keys a shard saw (shards of one class must agree on it)."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()


def select(found: list[Submission], shard: tuple[int, int] | None) -> list[Submission]:
    """The submissions of ``shard`` (all of them for None)."""
    if shard is None:
        return found
    k, n = shard
    return [s for s in found if shard_of(s.key, n) == k]


def file_digest(path: Path) -> str:
    """The SHA-256 of a regular file; "" for anything else (a link, a pipe: never opened, never followed)."""
    import stat

    from .record import sha256

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return ""
        return sha256(path)
    except OSError:
        return ""


def write_manifest(out: Path, shard: tuple[int, int], found: list[Submission], mine: list[Submission]) -> None:
    """shard.json: which shard ``out`` is, what the whole folder held, and what this shard was given."""
    write_json(
        Path(out) / MANIFEST,
        {
            "shard": shard[0],
            "of": shard[1],
            "seen": len(found),
            "seen_digest": keys_digest([s.key for s in found]),
            "assigned": {submission_name(s.path): {"key": s.key, "sha256": file_digest(s.path)} for s in mine},
        },
    )


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise ValueError(f"shards: {folder} has no {MANIFEST}: it is not the output of `dlcourse grade --shard K/N`")
    data = read_json(path, {})
    try:
        k, n = int(data["shard"]), int(data["of"])
        assigned = dict(data["assigned"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"shards: {path} is not a shard manifest") from None
    if "seen_digest" not in data or "seen" not in data:
        raise ValueError(f"shards: {path} is not a shard manifest")
    if not 1 <= k <= n:
        raise ValueError(f"shards: {path} names shard {k}/{n}")
    data["assigned"] = assigned
    return data


def stored_results(folder: Path) -> list[tuple[Path, GradeResult]]:
    """Every readable record under ``folder``/results with its file."""
    found = [(path, read_result(path)) for path in sorted((Path(folder) / "results").glob("*.json"))]
    return [(path, r) for path, r in found if r is not None]


def check_shards(folders: list[Path]) -> list[tuple[dict, dict[str, GradeResult]]]:
    """Read and check the shard outputs (see the module's docstring); return each one's manifest and records."""
    if not folders:
        raise ValueError("shards: expected at least one shard output folder")
    pieces = []
    for folder in folders:
        if not folder.is_dir():
            raise ValueError(f"shards: {folder} is not a folder")
        pieces.append((folder, _manifest(folder)))
    counts = {m["of"] for _, m in pieces}
    if len(counts) != 1:
        raise ValueError(f"shards: the outputs come from different splits (N = {', '.join(map(str, sorted(counts)))})")
    n = counts.pop()
    seen: dict[int, Path] = {}
    for folder, m in pieces:
        if m["shard"] in seen:
            raise ValueError(f"shards: shard {m['shard']}/{n} is given twice ({seen[m['shard']]} and {folder})")
        seen[m["shard"]] = folder
    missing = [f"{k}/{n}" for k in range(1, n + 1) if k not in seen]
    if missing:
        raise ValueError(f"shards: expected all {n} shards, missing {', '.join(missing)}")
    first_folder, first = pieces[0]
    course = read_json(first_folder / COURSE, {})
    owner: dict[str, str] = {}
    checked = []
    for folder, m in pieces:
        name = f"shard {m['shard']}/{n} ({folder})"
        if m["seen_digest"] != first["seen_digest"]:
            raise ValueError(
                f"shards: {name} saw other submissions than shard {first['shard']}/{n} "
                f"({m['seen']} files against {first['seen']}): grade every shard from the same folder"
            )
        if read_json(folder / COURSE, {}) != course:
            raise ValueError(f"shards: {name} was graded against another version of the course (its {COURSE})")
        stored = stored_results(folder)
        records = {r.submission: r for _, r in stored}
        secret = integrity.read_key(folder)
        for path, record in stored:
            why = "its grade book has no key (.grader/key)" if secret is None else None
            why = why or integrity.verify(folder, path, secret)
            if why is not None and record.submission in m["assigned"]:
                raise ValueError(f"shards: {name}: the result of {record.submission} cannot be trusted: {why}")
        for submission, info in m["assigned"].items():
            if submission in owner:
                raise ValueError(f"shards: {submission} is in both {owner[submission]} and {name}")
            owner[submission] = name
            record = records.get(submission)
            if record is None:
                raise ValueError(f"shards: {name} is incomplete: {submission} has no result (run that shard again)")
            if record.sha256 and info.get("sha256") and record.sha256 != info["sha256"]:
                raise ValueError(
                    f"shards: {name}: the result of {submission} is of another file than the one it was given"
                )
        extra = sorted(set(records) - set(m["assigned"]))
        if extra:
            raise ValueError(f"shards: {name} holds results it was not given, e.g. {extra[0]}")
        checked.append((m, {s: records[s] for s in m["assigned"]}))
    return checked


def merge(out: Path, shard_outs: list[Path], roster: Path | None = None) -> list[GradeResult]:
    """Merge shard outputs into the grade book ``out`` (empty, or an earlier merge's); return its records.

    ``roster`` replaces the shards' roster; by default the shards' own is used when they have one (the same).
    """
    out = Path(out).resolve()
    folders = [Path(f).resolve() for f in shard_outs]
    if out in folders:
        raise ValueError(f"out: {out} is one of the shard outputs; merge into another folder")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / MERGED).exists():
        raise ValueError(f"out: {out} is not empty and not an earlier merge; merge into an empty folder")
    learners: list[Learner] | None = read_roster(roster) if roster is not None else None
    checked = check_shards(folders)
    if learners is None:
        rosters = {(f / ROSTER).read_text(encoding="utf-8") for f in folders if (f / ROSTER).exists()}
        if len(rosters) > 1:
            raise ValueError("shards: the shards were given different rosters; pass --roster to merge")
        if rosters:
            learners = read_roster(next(f / ROSTER for f in folders if (f / ROSTER).exists()))
    for name in ("results", *COPIED_FOLDERS):  # an earlier merge's files: replaced whole
        shutil.rmtree(out / name, ignore_errors=True)
    for stale in (INDEX, ROSTER):
        (out / stale).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict] = {}
    for folder, (manifest, records) in zip(folders, checked):
        shard_index = read_json(folder / INDEX, {})
        files = {r.submission: path for path, r in stored_results(folder)}
        for submission in records:
            target = out / "results" / files[submission].name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files[submission], target)
            integrity.seal(out, target, integrity.sealed_settings(folder, files[submission]) or {})
            entry = dict(shard_index.get(submission, {}))
            index[submission] = entry
            for kind in COPIED_FOLDERS:
                relative = entry.get(kind)
                if relative and (folder / relative).is_file():
                    (out / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(folder / relative, out / relative)
    write_json(out / INDEX, index)
    if (folders[0] / COURSE).exists():
        shutil.copyfile(folders[0] / COURSE, out / COURSE)
    if learners is not None:
        save_roster(out, learners)
    n = checked[0][0]["of"]
    write_json(
        out / MERGED,
        {"of": n, "shards": [str(f) for f in folders], "submissions": sum(len(r) for _, r in checked)},
    )
    return write_tables(out)
