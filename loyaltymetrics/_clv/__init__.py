"""Customer lifetime value: formulas, RFM summaries and customer-base models."""
