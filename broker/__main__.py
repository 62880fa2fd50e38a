"""`python -m broker`: run the broker in the foreground (the same as `kctl broker start`)."""

from __future__ import annotations

import sys

from broker.cli import main

if __name__ == "__main__":
    sys.exit(main())
