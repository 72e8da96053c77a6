"""Bundled example data."""

from __future__ import annotations

import numpy as np
import pytest

from loyaltymetrics.datasets import load_survey, load_transactions


def test_survey_columns_and_ranges() -> None:
    survey = load_survey()
    assert set(survey) == {
        "respondent_id",
        "date",
        "region",
        "plan",
        "channel",
        "nps",
        "csat",
        "ces",
        "weight",
    }
    n = survey["nps"].shape[0]
    assert n == 3000
    assert all(column.shape == (n,) for column in survey.values())
    for column, (low, high) in {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}.items():
        assert survey[column].min() >= low
        assert survey[column].max() <= high
    assert (survey["weight"] > 0).all()
    assert survey["date"].dtype == np.dtype("datetime64[D]")
    assert set(survey["region"].tolist()) == {"North", "South", "East", "West"}


def test_transactions() -> None:
    log = load_transactions()
    assert set(log) == {"customer_id", "date", "amount"}
    assert (log["amount"] > 0).all()
    assert np.all(log["date"][1:] >= log["date"][:-1])


def test_frames() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    assert isinstance(load_survey(as_frame="pandas"), pd.DataFrame)
    frame = load_transactions(as_frame="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.height == load_transactions()["amount"].shape[0]
    with pytest.raises(ValueError, match="`as_frame` must be one of"):
        load_survey(as_frame="spark")  # type: ignore[arg-type]


def test_generator_script_reproduces_shipped_files(tmp_path: object) -> None:
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "make_datasets", root / "scripts" / "make_datasets.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = Path(str(tmp_path))
    module.main()
    for name in ("survey.csv", "transactions.csv"):
        shipped = (root / "loyaltymetrics" / "datasets" / name).read_bytes()
        assert (Path(str(tmp_path)) / name).read_bytes() == shipped
