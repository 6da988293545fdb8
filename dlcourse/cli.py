"""The ``dlcourse`` command: ``dlcourse build [--check]`` (more subcommands as the course grows)."""
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


def cmd_build(args) -> int:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dlcourse", description="Build, check, grade and export the course.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="write course/ from solutions/ (answers stripped, outputs cleared)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 and name the files that are stale")
    p.add_argument("--root", help="project folder (default: the nearest folder with solutions/)")
    p.set_defaults(func=cmd_build)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
