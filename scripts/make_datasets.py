"""Generate the synthetic example data bundled in ``loyaltymetrics/datasets``.

Run from the repository root:

    python scripts/make_datasets.py

The output is deterministic (fixed seed), so re-running it reproduces the
shipped files byte for byte. The data are synthetic: no real customer appears.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 20261122
OUT = Path(__file__).resolve().parent.parent / "loyaltymetrics" / "datasets"

REGIONS = ["North", "South", "East", "West"]
PLANS = ["basic", "pro", "enterprise"]
CHANNELS = ["web", "app", "phone"]


def _band_probabilities(shift: float) -> np.ndarray:
    """Probabilities of the 11 NPS answers; ``shift`` moves mass towards 10."""
    base = np.array([2, 1, 1, 2, 3, 5, 7, 12, 18, 24, 25], dtype=float)
    tilt = np.exp(shift * (np.arange(11) - 5) / 5)
    weights = base * tilt
    return weights / weights.sum()


def make_survey(rng: np.random.Generator, n: int = 3000) -> list[dict[str, object]]:
    region_effect = {"North": 0.3, "South": -0.4, "East": 0.0, "West": 0.15}
    plan_effect = {"basic": -0.2, "pro": 0.1, "enterprise": 0.35}
    region = rng.choice(REGIONS, size=n, p=[0.3, 0.25, 0.25, 0.2])
    plan = rng.choice(PLANS, size=n, p=[0.55, 0.3, 0.15])
    channel = rng.choice(CHANNELS, size=n, p=[0.5, 0.35, 0.15])
    days = rng.integers(0, 365, size=n)
    dates = np.datetime64("2025-01-01") + days.astype("timedelta64[D]")
    rows: list[dict[str, object]] = []
    for i in range(n):
        shift = region_effect[str(region[i])] + plan_effect[str(plan[i])]
        score = int(rng.choice(11, p=_band_probabilities(shift)))
        # CSAT (1..5) and CES 2.0 (1..7) correlate with the NPS answer.
        latent = (score - 5) / 5 + rng.normal(0, 0.6)
        csat = int(np.clip(np.round(3.6 + 1.1 * latent), 1, 5))
        ces = int(np.clip(np.round(5.0 + 1.5 * latent + rng.normal(0, 0.5)), 1, 7))
        # Post-stratification-like weights: phone respondents are under-sampled.
        weight = {"web": 0.8, "app": 1.0, "phone": 2.0}[str(channel[i])] * rng.uniform(0.8, 1.25)
        rows.append(
            {
                "respondent_id": i + 1,
                "date": str(dates[i]),
                "region": str(region[i]),
                "plan": str(plan[i]),
                "channel": str(channel[i]),
                "nps": score,
                "csat": csat,
                "ces": ces,
                "weight": round(float(weight), 4),
            }
        )
    rows.sort(key=lambda row: (row["date"], row["respondent_id"]))
    return rows


def make_transactions(rng: np.random.Generator, n_customers: int = 800) -> list[dict[str, object]]:
    """A BG/NBD-like purchase process over two years with gamma-gamma spend."""
    start = np.datetime64("2024-01-01")
    horizon = 730
    rows: list[dict[str, object]] = []
    rate = rng.gamma(shape=0.8, scale=1 / 25.0, size=n_customers)  # purchases per day
    dropout = rng.beta(0.6, 3.0, size=n_customers)
    spend_scale = rng.gamma(shape=6.0, scale=1 / 0.15, size=n_customers)
    first_day = rng.integers(0, 365, size=n_customers)
    for customer in range(n_customers):
        day = float(first_day[customer])
        while day < horizon:
            amount = rng.gamma(shape=4.0, scale=spend_scale[customer] / 4.0)
            rows.append(
                {
                    "customer_id": f"C{customer + 1:04d}",
                    "date": str(start + np.timedelta64(int(day), "D")),
                    "amount": round(float(amount), 2),
                }
            )
            if rng.uniform() < dropout[customer]:
                break
            day += rng.exponential(1 / rate[customer])
    rows.sort(key=lambda row: (row["date"], row["customer_id"]))
    return rows


def write(rows: list[dict[str, object]], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = np.random.default_rng(SEED)
    write(make_survey(rng), OUT / "survey.csv")
    write(make_transactions(rng), OUT / "transactions.csv")


if __name__ == "__main__":
    main()
