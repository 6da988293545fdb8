"""The ``dlcourse`` command.

dlcourse build [--check]                     write course/ from solutions/, or report what is stale
dlcourse grade SUBMISSION... --out DIR       grade learners' notebooks per exercise, each in a sandbox
    [--roster CSV] [--shard K/N]             ... against a class list; only the K-th of N parts
dlcourse merge-grades OUT SHARD_OUT...       one grade book from the shards' (also: dlcourse grade merge ...)
dlcourse export html --out DIR [--learner]   printable HTML of every chapter, plus an index
dlcourse bench [--json FILE]                 our kernels' speed against PyTorch's, as ratios
dlcourse serve [--model PATH] [--host H]     a digits classifier over HTTP on 127.0.0.1 (chapter 13)
    [--port N] [--version V] [--save PATH]   ... without --model it trains one in a second (--save keeps it)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds solutions/."""
    for folder in [start, *start.parents]:
        if (folder / "solutions").is_dir():
            return folder
    raise SystemExit(f"dlcourse: no solutions/ folder at or above {start}; pass --root")


def cmd_build(args: argparse.Namespace) -> int:
    from .notebooks import NotebookError, build

    root = Path(args.root).resolve() if args.root else _find_root(Path.cwd())
    try:
        report = build(root, check=args.check)
    except NotebookError as exc:
        print(f"dlcourse build: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if report.ok:
            print("dlcourse build --check: course/ and the jupytext pairs are up to date")
            return 0
        print("dlcourse build --check: stale files:", file=sys.stderr)
        for line in report.stale:
            print(f"  {line}", file=sys.stderr)
        return 1
    for path in report.written:
        print(f"wrote {path}")
    if not report.written:
        print("course/ is up to date")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from .grading import grade
    from .grading.sandbox import SandboxUnavailable

    root = Path(args.root).resolve() if args.root else _find_root(Path.cwd())
    try:
        results = grade(
            args.submissions,
            args.out,
            root,
            jobs=args.jobs,
            cell_timeout=args.cell_timeout,
            total_timeout=args.timeout,
            force=args.force,
            roster=args.roster,
            shard=args.shard,
            feedback=not args.no_feedback,
            sandbox=not args.no_sandbox,
        )
    except (ValueError, SandboxUnavailable) as exc:
        print(f"dlcourse grade: {exc}", file=sys.stderr)
        return 2
    _summary(Path(args.out), results)
    return 0


def _summary(out: Path, results: list) -> None:
    """What a grading or merging run leaves: counts, what needs a look, and where the tables are."""
    from .grading.gradebook import load_book
    from .grading.record import UNSANDBOXED

    errors = sum(r.status != "ok" for r in results)
    print(
        f"graded {len(results)} submission(s), {errors} with errors; see {out / 'grades.csv'} and {out / 'report.html'}"
    )
    book = load_book(out)
    for learner, r in book.not_on_roster():
        print(f"  not on the roster: {r.submission} (learner {learner})", file=sys.stderr)
    for r in book.unattributed():
        print(f"  no chapter recognised: {r.submission} ({r.reason})", file=sys.stderr)
    for line in book.foreign:
        print(f"  not written by the grader, left out of the tables: {line}", file=sys.stderr)
    unsandboxed = sum(UNSANDBOXED in (r.reason or "") for r in book.results)
    if unsandboxed:
        print(f"  WARNING: {unsandboxed} submission(s) graded without a sandbox (--no-sandbox)", file=sys.stderr)
    if book.roster is not None:
        for chapter in book.chapters():
            missing = [row.learner for row in book.rows(chapter) if row.result is None]
            if missing:
                print(f"  chapter {chapter}: nothing from {len(missing)} learner(s) on the roster", file=sys.stderr)


def cmd_merge(args: argparse.Namespace) -> int:
    from .grading import merge

    try:
        results = merge(Path(args.out), [Path(p) for p in args.shards], roster=args.roster)
    except ValueError as exc:
        print(f"dlcourse merge-grades: {exc}", file=sys.stderr)
        return 2
    _summary(Path(args.out), results)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_html

    root = Path(args.root).resolve() if args.root else _find_root(Path.cwd())
    try:
        written = export_html(root, Path(args.out), learner=args.learner, chapters=args.chapters)
    except ValueError as exc:
        print(f"dlcourse export: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} file(s) to {args.out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from .bench import format_table, run

    try:
        results = run(cases=args.cases, repeat=args.repeat, threads=args.threads)
    except ValueError as exc:
        print(f"dlcourse bench: {exc}", file=sys.stderr)
        return 2
    print(format_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve_command

    return serve_command(args.model, host=args.host, port=args.port, version=args.version, save=args.save)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlcourse", description="Build, check, grade and export the course.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="write course/ from solutions/ (answers stripped, outputs cleared)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the files that are stale")
    p.add_argument("--root", help="project folder (default: the nearest folder with solutions/)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("grade", help="grade learners' notebooks per exercise, each in a sandbox (canonical checks)")
    p.add_argument("submissions", nargs="+", help="notebooks, or folders searched for .ipynb files")
    p.add_argument("--out", required=True, help="grade-book folder: grades.csv, grades.json, report.html, results/")
    p.add_argument("--root", help="course folder with solutions/ (default: the nearest folder with solutions/)")
    p.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: all CPU cores)")
    p.add_argument("--cell-timeout", type=float, default=60, help="seconds per cell before it counts as failed")
    p.add_argument("--timeout", type=float, default=900, help="seconds per submission before it is stopped")
    p.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    p.add_argument("--roster", metavar="CSV", help="class list: an id column, optionally name and email")
    p.add_argument("--shard", metavar="K/N", help="grade only the K-th of N stable parts (a job of an array)")
    p.add_argument("--no-feedback", action="store_true", help="write no feedback pages")
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run learners' code WITHOUT isolation, with your rights (only where bubblewrap cannot run; every "
        "result and the report say so)",
    )
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("merge-grades", help="one grade book from the outputs of dlcourse grade --shard K/N")
    p.add_argument("out", help="the merged grade book's folder (empty, or an earlier merge's)")
    p.add_argument("shards", nargs="+", metavar="SHARD_OUT", help="the --out folder of every shard, 1 to N")
    p.add_argument("--roster", metavar="CSV", help="class list (default: the one the shards were given)")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("export", help="export the chapters for readers")
    p.add_argument("format", choices=["html"], help="output format")
    p.add_argument("--out", required=True, help="folder for the chapter pages and index.html")
    p.add_argument("--learner", action="store_true", help="export the learner notebooks of course/ instead")
    p.add_argument("--chapters", nargs="+", metavar="NN", help="only these chapters (default: all)")
    p.add_argument("--root", help="course folder (default: the nearest folder with solutions/)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("bench", help="time dlcourse's kernels against PyTorch on this machine (ours/torch ratios)")
    p.add_argument("--json", metavar="FILE", help="also write {case: {ours_s, torch_s, ratio}} to FILE")
    p.add_argument("--cases", nargs="+", metavar="NAME", help="only these cases (default: all)")
    p.add_argument("--repeat", type=int, default=5, help="timing repeats per case; the best is kept")
    p.add_argument("--threads", type=int, default=None, help="threads for both libraries (default: all cores)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("serve", help="serve a digits classifier over HTTP (predict, health, version, a drawing page)")
    p.add_argument("--model", metavar="PATH", help="a safetensors file saved by --save (default: train one now)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only, as the service has no authentication)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--version", help="model version to report (default: the file's, else 'dev')")
    p.add_argument("--save", metavar="PATH", help="with no --model: save the trained model here")
    p.set_defaults(func=cmd_serve)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["grade", "merge"]:  # `dlcourse grade merge OUT SHARD...` (grade ./merge for a folder so named)
        argv = ["merge-grades", *argv[2:]]
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
