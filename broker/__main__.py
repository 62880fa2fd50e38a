"""`python -m broker`: run the broker in the foreground (the same as `kctl broker start`)."""

from __future__ import annotations

import sys

from broker.kio_startup import skip_kio_strategies

if __name__ == "__main__":
    skip_kio_strategies()
    from broker.cli import main

    sys.exit(main())
