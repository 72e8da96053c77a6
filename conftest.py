"""Configuration for every test and doctest: plots draw off screen."""

from __future__ import annotations

import matplotlib

# The Agg backend renders to memory: no window opens, in CI or on a desktop.
matplotlib.use("Agg")
