"""The broker's HTTP admin endpoint: health, Prometheus metrics and JSON views (issue 3)."""
