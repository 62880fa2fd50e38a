"""The broker's loggers as Kafka's BROKER_LOGGER config resource shows them (KIP-412).

``kafka-configs --entity-type broker-loggers`` (and any admin client's DescribeConfigs and
IncrementalAlterConfigs on resource type 8) read and change log levels of a running broker:
each logger is a config whose value is its effective level, and SET / DELETE change one
level until the broker stops, as in Kafka (nothing is persisted). Kafka's level names map
onto Python's levels; TRACE is below DEBUG and shows as DEBUG output.
"""

from __future__ import annotations

import logging
from typing import Any

from broker.errors import ErrorCode, KafkaError

ROOT = "root"
TRACE = 5
# The levels Kafka accepts in a SET (its LogLevelConfig.VALID_LOG_LEVELS).
LEVELS = {
    "TRACE": TRACE,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
_NAMES = {level: name for name, level in LEVELS.items()}

log = logging.getLogger("broker.log_levels")


def loggers() -> dict[str, str]:
    """Every logger of the process (and root) with its effective level's Kafka name."""
    out = {ROOT: _name(logging.getLogger().getEffectiveLevel())}
    for name, logger in sorted(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):  # not a placeholder for a dotted parent
            out[name] = _name(logger.getEffectiveLevel())
    return out


def alter(ops: list[tuple[str, str, str | None]], *, validate_only: bool) -> None:
    """Apply (logger, SET|DELETE, level) changes; all are checked before any is applied.

    Raises KafkaError as Kafka answers: INVALID_CONFIG for an unknown logger or level,
    INVALID_REQUEST for APPEND/SUBTRACT or a DELETE of the root logger's level.
    """
    known = loggers()
    for name, op, value in ops:
        if op in ("APPEND", "SUBTRACT"):
            raise KafkaError(
                ErrorCode.invalid_request, f"{op} is not allowed for the BROKER_LOGGER resource"
            )
        if name not in known:
            raise KafkaError(ErrorCode.invalid_config, f"logger {name} does not exist")
        if op == "SET" and value not in LEVELS:
            raise KafkaError(
                ErrorCode.invalid_config,
                f"cannot set the log level of {name} to {value}: not one of {', '.join(LEVELS)}",
            )
        if op == "DELETE" and name == ROOT:
            raise KafkaError(
                ErrorCode.invalid_request, "removing the root logger's level is not allowed"
            )
    if validate_only:
        return
    for name, op, value in ops:
        logger = _logger(name)
        if op == "SET":
            logger.setLevel(LEVELS[value or ""])
        else:  # DELETE: inherit from its parents again
            logger.setLevel(logging.NOTSET)
        log.info("log level of %s is now %s", name, _name(logger.getEffectiveLevel()))


def _logger(name: str) -> Any:
    return logging.getLogger() if name == ROOT else logging.getLogger(name)


def _name(level: int) -> str:
    """Kafka's name for a level: the first named level it lets through; OFF above FATAL."""
    return next((_NAMES[v] for v in sorted(_NAMES) if v >= level), "OFF")
