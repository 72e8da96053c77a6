"""The command line, run as a new user would run it: as a process, on real files."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import loyaltymetrics as lm
from loyaltymetrics._cli import _THREADED_READ_BYTES, _arrow_threads, main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m loyaltymetrics`` with this source tree first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "loyaltymetrics", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd or ROOT,
        env=env,
    )


def run_in_process(
    capsys: pytest.CaptureFixture[str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Call ``main`` directly (fast), captured like a process run."""
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def assert_one_line_error(completed: subprocess.CompletedProcess[str], text: str) -> None:
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("loyaltymetrics: error: ")
    assert text in lines[0], lines[0]


@pytest.fixture
def survey_csv(tmp_path: Path) -> Path:
    """Seven answers in two teams, one answer missing (empty cell) and one 'NA'.

    team a: 10, 9, 7, 3 -> 2 promoters, 1 passive, 1 detractor: NPS 100 * (2 - 1) / 4 = 25.
    team b: 0, 8, (missing), (NA) -> 0 promoters, 1 passive, 1 detractor: NPS -50.
    overall: 6 answers, 2 promoters, 2 passives, 2 detractors: NPS 0.
    """
    path = tmp_path / "survey.csv"
    path.write_text("id,score,team\n1,10,a\n2,9,a\n3,,b\n4,0,b\n5,7,a\n6,NA,b\n7,3,a\n8,8,b\n")
    return path


def test_report_on_bundled_data_says_so() -> None:
    completed = run("report")
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    out = completed.stdout
    assert "bundled example survey" in out
    # 25.7 is lm.nps(load_survey()["nps"]).score rounded (the datasets doctest).
    overall = next(line for line in out.splitlines() if line.startswith("overall"))
    assert "3000" in overall
    assert "25.7" in overall
    assert "region=South" in out


def test_report_on_csv_with_missing_values_and_a_segment(survey_csv: Path) -> None:
    completed = run("report", str(survey_csv), "--score", "score", "--by", "team")
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout.splitlines()
    assert "score column 'score': 6 answers, 2 missing omitted" in out[1]
    # overall shares: 2 detractors (0, 3), 2 passives (7, 8), 2 promoters (10, 9) of 6.
    assert "detractors 33.3%, passives 33.3%, promoters 33.3%" in out[1]
    assert out[2] == "95% confidence intervals: adjusted-wald"
    rows = {line.split()[0]: line.split() for line in out[5:] if line}
    assert rows["overall"][1:3] == ["6", "0.0"]
    assert rows["team=a"][1:3] == ["4", "25.0"]
    assert rows["team=b"][1:3] == ["2", "-50.0"]


def test_bad_column_name(survey_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    completed = run("report", str(survey_csv), "--score", "nps")
    assert_one_line_error(completed, "no column 'nps'")
    assert "'id', 'score', 'team'" in completed.stderr
    completed = run_in_process(capsys, "report", str(survey_csv), "--score", "score", "--by", "x")
    assert_one_line_error(completed, "no column 'x'")


@pytest.mark.parametrize(
    ("n_bytes", "version", "threads"),
    [
        (_THREADED_READ_BYTES, "25.0.0", True),
        (_THREADED_READ_BYTES, "26.0.1", True),
        (_THREADED_READ_BYTES - 1, "26.0.1", False),  # a small file: one thread
        (_THREADED_READ_BYTES, "24.0.0", False),  # aborts at exit once its pool starts
        (_THREADED_READ_BYTES, "18.1.0", False),
        (_THREADED_READ_BYTES, "dev", False),  # an unreadable version: the safe side
    ],
)
def test_arrow_reads_on_threads_only_for_large_files_on_pyarrow_25_or_newer(
    n_bytes: int, version: str, threads: bool
) -> None:
    assert _arrow_threads(n_bytes, version) is threads


def test_non_existent_file(tmp_path: Path) -> None:
    completed = run("report", str(tmp_path / "nope.csv"), "--score", "x")
    assert_one_line_error(completed, "no such file")


def test_directory_and_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    completed = run_in_process(capsys, "report", str(tmp_path), "--score", "x")
    assert_one_line_error(completed, "is a directory")
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81score\n")
    completed = run_in_process(capsys, "report", str(binary), "--score", "x")
    assert_one_line_error(completed, "not UTF-8")


def test_score_outside_the_scale_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score\n10\n\n11\n")  # the blank line 3 is skipped; 11 is on line 4
    completed = run("report", str(path), "--score", "score")  # as a process: no traceback
    assert_one_line_error(completed, "column 'score', line 4: score 11 is not a whole number")
    assert "0..10, the NPS scale" in completed.stderr


def test_non_numeric_and_fractional_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score\n10\nten\n")
    completed = run_in_process(capsys, "report", str(path), "--score", "score")
    assert_one_line_error(completed, "column 'score', line 3: score 'ten' is not a number")
    path.write_text("score\n9.5\n")
    assert main(["report", str(path), "--score", "score"]) == 2


def test_all_scores_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score,team\n,a\nNA,b\n")
    assert main(["report", str(path), "--score", "score"]) == 2
    assert "every value is missing" in capsys.readouterr().err


def test_empty_file_and_header_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("")
    assert main(["report", str(path), "--score", "score"]) == 2
    assert "is empty" in capsys.readouterr().err
    path.write_text("score,team\n")
    assert main(["report", str(path), "--score", "score"]) == 2
    assert "no data rows" in capsys.readouterr().err


def test_score_is_required_with_a_file(
    survey_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    completed = run_in_process(capsys, "report", str(survey_csv))
    assert_one_line_error(completed, "--score is required")


def test_semicolon_separated_file_with_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffscore;team\n10;a\n0;b\n".encode())
    assert main(["report", str(path), "--score", "score", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # one promoter, one detractor: NPS 0.
    assert rows[0]["segment"] == "overall"
    assert float(rows[0]["score"]) == 0.0


def test_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    # The missing score's weight is irrelevant (the row is omitted), even if missing.
    path.write_text("score,w\n10,3\n0,1\n,\n")
    assert (
        main(["report", str(path), "--score", "score", "--weights", "w", "--format", "json"]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    overall = document["rows"][0]
    # weighted shares: promoters 3/4, detractors 1/4, so NPS = 100 * (0.75 - 0.25) = 50.
    assert overall["score"] == pytest.approx(50.0)
    # n counts the answers (2); the weights total 3 + 1 = 4, Kish's n 4**2 / 10 = 1.6.
    assert overall["n"] == 2
    assert overall["weight_total"] == pytest.approx(4.0)
    assert overall["effective_n"] == pytest.approx(1.6)
    assert document["weights_column"] == "w"
    assert document["n_omitted"] == 1


def test_missing_weight_of_an_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("score,w\n10,3\n0,\n")
    completed = run_in_process(capsys, "report", str(path), "--score", "score", "--weights", "w")
    assert_one_line_error(completed, "column 'w', line 3: weight missing")


def test_crossed_and_repeated_breakdowns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--by", "region,plan", "--by", "channel", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    breakdowns = [row["breakdown"] for row in rows]
    # 4 regions x 3 plans, then 3 channels, after the overall row.
    assert breakdowns == ["", *["region,plan"] * 12, *["channel"] * 3]
    assert rows[1]["label"] == "region=East, plan=basic"
    # Crossed segments partition the sample.
    assert sum(row["n"] for row in rows[1:13]) == rows[0]["n"] == 3000


def test_missing_segment_labels_form_their_own_group(
    survey_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = survey_csv.parent / "gaps.csv"
    path.write_text("score,team\n10,a\n0,\n9,\n")
    assert main(["report", str(path), "--score", "score", "--by", "team", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # The missing label is a segment of its own, listed last.
    assert [row["segment"] for row in rows] == ["overall", "a", "(missing)"]
    assert float(rows[2]["n"]) == 2


@pytest.mark.parametrize("output_format", ["table", "markdown", "csv", "json"])
def test_every_format_reports_the_same_numbers(
    survey_csv: Path, output_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", str(survey_csv), "--score", "score", "--by", "team"]
    assert main([*args, "--format", output_format]) == 0
    out = capsys.readouterr().out
    if output_format == "json":
        rows = json.loads(out)["rows"]
        scores = [row["score"] for row in rows]
    elif output_format == "csv":
        scores = [float(row["score"]) for row in csv.DictReader(io.StringIO(out))]
    elif output_format == "markdown":
        body = [line for line in out.splitlines() if line.startswith("| ")][2:]
        scores = [float(line.split("|")[3]) for line in body]
    else:
        lines = out.splitlines()
        body = [line for line in lines[lines.index("") + 2 :] if line]
        scores = [float(line.split()[2]) for line in body]
    # overall 0, team a 25, team b -50 (hand-worked in the fixture's docstring).
    assert scores == pytest.approx([0.0, 25.0, -50.0])


def test_parquet_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa  # in the test extra
    import pyarrow.parquet as pq

    path = tmp_path / "survey.parquet"
    table = pa.table({"score": [10, 9, None, 0], "team": ["a", "a", "b", "b"]})
    pq.write_table(table, path)
    assert main(["report", str(path), "--score", "score", "--by", "team", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    # 3 answers: 2 promoters and 1 detractor: NPS 100 * (2 - 1) / 3.
    assert document["rows"][0]["score"] == pytest.approx(100 / 3)
    assert document["n_omitted"] == 1
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    assert main(["report", str(bad), "--score", "score"]) == 2
    assert "as Parquet" in capsys.readouterr().err


def test_help_reads_well() -> None:
    completed = run("report", "--help")
    assert completed.returncode == 0
    for option in ("--score", "--by", "--metric", "--weights", "--confidence-level", "--format"):
        assert option in completed.stdout
    assert "bundled example" in completed.stdout


def test_bad_option_values_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--confidence-level", "95"])
    assert exit_info.value.code == 2
    assert "strictly between 0 and 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--format", "xml"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="loyaltymetrics")
    assert script.value == "loyaltymetrics._cli:main"


def test_intervals_are_the_librarys_at_the_chosen_level(
    survey_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", str(survey_csv), "--score", "score", "--by", "team", "--format", "csv"]
    assert main([*args, "--confidence-level", "0.8"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # Band counts from the fixture: overall 2/2/2, team a 1/1/2, team b 1/1/0.
    expected = {
        "overall": lm.nps_from_counts(detractors=2, passives=2, promoters=2),
        "a": lm.nps_from_counts(detractors=1, passives=1, promoters=2),
        "b": lm.nps_from_counts(detractors=1, passives=1, promoters=0),
    }
    for row in rows:
        low, high = expected[row["segment"]].confidence_interval(0.8, method="adjusted-wald")
        assert float(row["ci_low"]) == pytest.approx(low)
        assert float(row["ci_high"]) == pytest.approx(high)


def test_csat_and_ces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("sat,effort\n5,7\n4,5\n3,1\n2,\n,7\n")
    assert (
        main(["report", str(path), "--score", "sat", "--metric", "csat", "--format", "json"]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    (overall,) = document["rows"]
    # CSAT: 2 of the 4 answers (5, 4) are satisfied: 100 * 2 / 4 = 50; mean (5+4+3+2)/4 = 3.5.
    assert overall["score"] == pytest.approx(50.0)
    assert document["overall"]["mean"] == pytest.approx(3.5)
    low, high = lm.csat_from_counts([0, 1, 1, 1, 1]).confidence_interval(method="wilson")
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx((low, high))
    assert main(["report", str(path), "--score", "effort", "--metric", "ces"]) == 0
    out = capsys.readouterr().out
    # CES 2.0: answers 7, 5, 1, 7: mean 20 / 4 = 5.00; 3 of 4 agree (5..7): 75.0%.
    overall_line = next(line for line in out.splitlines() if line.startswith("overall"))
    assert overall_line.split()[1:3] == ["4", "5.00"]
    assert "4 answers, 1 missing omitted; overall: agree (5-7) 75.0%" in out
    assert "95% confidence intervals: t" in out


def test_scale_follows_the_metric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("sat\n5\n9\n")  # 9 is a fine NPS answer but not a CSAT one
    assert main(["report", str(path), "--score", "sat", "--metric", "csat"]) == 2
    assert (
        "line 3: score 9 is not a whole number in 1..5, the CSAT scale" in capsys.readouterr().err
    )


def test_segments_come_from_one_breakdown_with_comparisons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from loyaltymetrics.datasets import load_survey

    assert main(["report", "--by", "region", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    survey = load_survey()
    expected = lm.by_segment(survey["nps"], by=survey["region"], compare="rest", correction="holm")
    rows = document["rows"][1:]
    assert [row["segment"] for row in rows] == list(expected.table["by"])
    for name in ("n", "score", "difference", "pvalue", "pvalue_corrected"):
        np.testing.assert_allclose([row[name] for row in rows], expected.table[name])
    np.testing.assert_allclose([row["ci_low"] for row in rows], expected.table["low"])
    assert [row["significant"] for row in rows] == list(expected.table["significant"])
    assert document["rows"][0]["significant"] is None  # the overall row compares with nothing
    assert document["overall"]["promoters"] == 1446  # the band counts, as in getting started


def test_table_marks_segments_that_differ_and_small_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "survey.csv"
    # 40 promoters in team a, 40 detractors in team b: each differs from the rest;
    # team c has 3 answers, fewer than 30.
    lines = ["score,team"] + ["10,a"] * 40 + ["0,b"] * 40 + ["8,c"] * 3
    path.write_text("\n".join(lines) + "\n")
    assert main(["report", str(path), "--score", "score", "--by", "team"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("team=")}
    assert rows["team=a"].endswith("differs")
    assert rows["team=b"].endswith("differs")
    assert rows["team=c"].endswith("n<30")
