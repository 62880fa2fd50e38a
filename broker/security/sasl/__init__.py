"""SASL authentication: the per-connection state machine and its mechanisms."""
