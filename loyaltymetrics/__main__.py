"""Entry point for ``python -m loyaltymetrics``."""

from __future__ import annotations

if __name__ == "__main__":
    import sys

    from loyaltymetrics._cli import main

    sys.exit(main())
