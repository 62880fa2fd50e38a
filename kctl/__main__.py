"""`python -m kctl` runs the CLI (tests use it to drive the real executable)."""

from kctl.app import main

main()
