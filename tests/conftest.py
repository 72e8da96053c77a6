"""Shared test configuration: hypothesis profiles.

``dev`` explores new random examples on every run; ``ci`` is derandomized so a
CI failure reproduces exactly. CI selects ``ci`` through the ``CI`` environment
variable; ``HYPOTHESIS_PROFILE`` overrides either.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=100,
    derandomize=False,
    deadline=None,
)
settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
