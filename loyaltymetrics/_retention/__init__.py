"""Retention: rates, cohorts, survival curves and the shifted-beta-geometric model."""
