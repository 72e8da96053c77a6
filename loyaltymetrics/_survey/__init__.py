"""Survey metrics: NPS, CSAT and CES, their comparisons, planning and breakdowns."""
