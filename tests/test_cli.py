"""The command line, run as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loyaltymetrics._cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loyaltymetrics", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_report_on_bundled_data() -> None:
    completed = run("report")
    assert completed.returncode == 0, completed.stderr
    assert "bundled example survey" in completed.stdout
    assert "overall" in completed.stdout
    assert "region=South" in completed.stdout
    assert completed.stderr == ""


def test_report_on_csv_with_missing_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score,team\n10,a\n9,a\n,b\n0,b\n7,a\n")
    assert main(["report", str(path), "--score", "score", "--by", "team"]) == 0
    out = capsys.readouterr().out
    # 4 answers: promoters 10, 9; passive 7; detractor 0: 100 * (2 - 1) / 4 = 25.
    assert "4 responses, 1 missing omitted" in out
    overall = next(line for line in out.splitlines() if line.startswith("overall"))
    assert "25.0" in overall


def test_bad_column_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score\n10\n")
    completed = run("report", str(path), "--score", "nps")
    assert completed.returncode == 2
    assert "no column 'nps'" in completed.stderr
    assert "Traceback" not in completed.stderr
    missing = run("report", str(tmp_path / "nope.csv"), "--score", "x")
    assert missing.returncode == 2
    assert "no such file" in missing.stderr


def test_bad_scores(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score\n10\n11\n")
    completed = run("report", str(path), "--score", "score")
    assert completed.returncode == 2
    assert "integers in 0..10; found 11.0 at position 1" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
