"""The `dlcourse` command's export subcommand end to end (build, grade and bench have their own test files)."""

from pathlib import Path

import pytest

from dlcourse.tools.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.notebooks
def test_export_html_one_chapter(tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["export", "html", "--out", str(out), "--chapters", "02", "--root", str(ROOT)]) == 0
    assert "wrote 2 file(s)" in capsys.readouterr().out
    page = next(out.glob("02_*.html")).read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and (out / "index.html").exists()


def test_export_rejects_an_unknown_chapter(tmp_path, capsys):
    assert main(["export", "html", "--out", str(tmp_path), "--chapters", "99", "--root", str(ROOT)]) == 2
    assert "dlcourse export: chapters" in capsys.readouterr().err


def test_no_course_folder_is_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match="no solutions/ folder"):
        main(["build", "--check"])
