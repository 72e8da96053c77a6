"""``loyaltymetrics report --over DATE_COLUMN --period P``: the metric per period and its trend.

Expected numbers come from hand-worked files (in each test's comments) or
from the library's ``over_time`` called on the same columns, whose own
figures are checked against the single-group functions and statsmodels in
tests/survey/test_over_time.py.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._cli import main
from loyaltymetrics.datasets import load_survey


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def _error(completed: subprocess.CompletedProcess[str], text: str) -> None:
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("loyaltymetrics: error: ")
    assert text in lines[0], lines[0]


@pytest.fixture
def dated_csv(tmp_path: Path) -> Path:
    """Eight answers over three months, one without an answer (and without a date).

    January: 10, 9, 0 -> 2 promoters, 1 detractor of 3: NPS 100 / 3 = 33.33.
    February: none (a gap: n = 0).
    March: 0, 7, 8, 10 -> 1 promoter, 1 detractor of 4: NPS 0, change from
    February undefined (no February answers).
    April: 6 -> NPS -100, change from March -100.
    """
    path = tmp_path / "dated.csv"
    path.write_text(
        "score,when,team\n"
        "10,2025-01-03,a\n9,2025-01-20 09:30,b\n0,2025-01-31T23:59:00,a\n"
        "0,2025-03-01,a\n7,2025-03-02,b\n8,2025-03-15,a\n10,2025-03-31,b\n"
        "6,2025-04-30,a\n,,b\n"
    )
    return path


def test_periods_of_a_csv_file_by_hand(dated_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    completed = _run(
        capsys, "report", str(dated_csv), "--score", "score", "--over", "when", "--format", "json"
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    rows = document["rows"]
    assert [row["period"] for row in rows] == [
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
        "2025-04-01",
    ]
    assert [row["n"] for row in rows] == [3, 0, 4, 1]
    assert rows[0]["score"] == pytest.approx(100 / 3)
    assert rows[1]["score"] is None
    assert rows[2]["score"] == pytest.approx(0.0)
    assert rows[2]["difference"] is None
    assert rows[3]["difference"] == pytest.approx(-100.0)
    assert document["over"] == "when"
    assert document["period"] == "month"
    assert document["n_omitted"] == 1
    (trend,) = document["trend"]
    assert trend["label"] == "overall"
    # Least squares of the codes (+100, +100, -100 at t=0; -100, 0, 0, +100 at
    # t=2; -100 at t=3) on t: slope = Sxy / Sxx with t mean 11/8 and code mean 0:
    # Sxy = sum t*y = 0 + 2*0 + 3*(-100) = -300, Sxx = sum t^2 - 8 (11/8)^2
    # = 25 - 121/8 = 79/8, so slope = -300 * 8 / 79 = -30.38 points per month.
    assert trend["slope"] == pytest.approx(-2400 / 79)


def test_table_equals_the_library_and_the_trend(capsys: pytest.CaptureFixture[str]) -> None:
    completed = _run(
        capsys,
        "report",
        "--over",
        "date",
        "--period",
        "quarter",
        "--by",
        "plan",
        "--format",
        "json",
    )
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    survey = load_survey()
    expected = lm.over_time(
        survey["nps"], time=survey["date"], period="quarter", by=survey["plan"], nan_policy="omit"
    )
    table = expected.table
    rows = document["rows"]
    assert [row["label"] for row in rows] == [f"plan={key}" for key in table["by"]]
    np.testing.assert_allclose([row["score"] for row in rows], table["score"], rtol=1e-12)
    np.testing.assert_allclose([row["ci_low"] for row in rows], table["low"], rtol=1e-12)
    differences = [np.nan if row["difference"] is None else row["difference"] for row in rows]
    np.testing.assert_allclose(differences, table["difference"], rtol=1e-12)
    corrected = [
        np.nan if row["pvalue_corrected"] is None else row["pvalue_corrected"] for row in rows
    ]
    np.testing.assert_allclose(corrected, table["pvalue_corrected"], rtol=1e-12)
    fit = expected.trend()
    np.testing.assert_allclose([t["slope"] for t in document["trend"]], fit.slope, rtol=1e-12)
    np.testing.assert_allclose([t["pvalue"] for t in document["trend"]], fit.pvalue, rtol=1e-12)
    assert [t["label"] for t in document["trend"]] == ["plan=basic", "plan=enterprise", "plan=pro"]


@pytest.mark.parametrize("output_format", ["table", "markdown", "csv"])
def test_every_format_shows_the_periods_and_the_trend(
    dated_csv: Path, output_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", str(dated_csv), "--score", "score", "--over", "when", "--by", "team"]
    completed = _run(capsys, *args, "--format", output_format)
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    if output_format == "csv":
        records = list(csv.DictReader(io.StringIO(out)))
        periods = [row for row in records if row["period"] != "trend"]
        trends = [row for row in records if row["period"] == "trend"]
        # Team a: January 10, 0 (NPS 0), March 0, 8 (-50), April 6 (-100).
        assert [row["n"] for row in periods[:4]] == ["2", "0", "2", "1"]
        assert float(periods[2]["score"]) == pytest.approx(-50.0)
        assert [row["label"] for row in trends] == ["team=a", "team=b"]
        assert float(trends[0]["slope"]) == pytest.approx(
            float(
                lm.over_time(
                    [10, 0, 0, 8, 6],
                    time=["2025-01-03", "2025-01-31", "2025-03-01", "2025-03-15", "2025-04-30"],
                )
                .trend()
                .slope
            )
        )
    else:
        assert "per month" in out
        assert "vs previous" in out
        assert "team=a" in out
        assert "2025-04-01" in out
        assert "-50.0" in out


def test_errors_name_the_option(
    dated_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", str(dated_csv), "--score", "score"]
    _error(_run(capsys, *base, "--over", "date"), "--over: no column 'date'")
    _error(_run(capsys, *base, "--over", "team"), "--over column 'team', line 2: 'a' is not a date")
    _error(_run(capsys, *base, "--period", "week"), "--period needs --over")
    _error(_run(capsys, "report", "--over", "nps"), "--over column 'nps'")
    gap = tmp_path / "gap.csv"
    gap.write_text("score,when\n10,2025-01-01\n9,\n")
    _error(
        _run(capsys, "report", str(gap), "--score", "score", "--over", "when"),
        "--over column 'when', line 3: the date is missing",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("score,when\n10,2025-13-01\n")
    _error(
        _run(capsys, "report", str(bad), "--score", "score", "--over", "when"),
        "'2025-13-01' is not a date",
    )
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "--over", "when", "--period", "fortnight"])
    assert exit_info.value.code == 2
    assert "--period" in capsys.readouterr().err


def test_weighted_periods_count_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "weighted.csv"
    # January: weights 3 (promoter) and 1 (detractor): n 2, weight total 4, NPS 50.
    path.write_text("score,w,when\n10,3,2025-01-02\n0,1,2025-01-05\n9,1,2025-02-01\n")
    completed = _run(
        capsys,
        "report",
        str(path),
        "--score",
        "score",
        "--weights",
        "w",
        "--over",
        "when",
        "--format",
        "json",
    )
    assert completed.returncode == 0, completed.stderr
    first = json.loads(completed.stdout)["rows"][0]
    assert first["n"] == 2
    assert first["weight_total"] == pytest.approx(4.0)
    assert first["score"] == pytest.approx(50.0)


def test_parquet_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dated.parquet"
    days = [datetime.date(2025, 1, 5), datetime.date(2025, 1, 9), datetime.date(2025, 2, 1)]
    pq.write_table(pa.table({"score": [10, 0, 9], "day": days}), path)
    completed = _run(
        capsys, "report", str(path), "--score", "score", "--over", "day", "--format", "json"
    )
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)["rows"]
    assert [row["n"] for row in rows] == [2, 1]
    assert rows[1]["difference"] == pytest.approx(100.0)
