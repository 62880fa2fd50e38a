"""Which quota of one key applies to a client, with Kafka's precedence (ClientQuotaManager).

For a user U and client id C the first quota found wins:

  /users/U/clients/C > /users/U/clients/<default> > /users/U >
  /users/<default>/clients/C > /users/<default>/clients/<default> > /users/<default> >
  /clients/C > /clients/<default>

The level found also decides who shares the measured rate (Kafka's metric tags): a user
quota is shared by all of that user's clients, a client-id quota by every user of that
client id, and a (user, client id) quota is per pair. Under a default entity each user (or
client id) still has a rate of its own, measured against the default's value.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.metadata.records import QuotaEntity
from broker.quotas.entity import CLIENT_ID, IP, USER

Tags = tuple[str, str]  # (user, client id) sharing one rate; "" where the level ignores it


class _Absent:
    """The entity has no part of this type (distinct from None, the default entity)."""


ABSENT = _Absent()
_Level = tuple[str | _Absent | None, str | _Absent | None]


@dataclass(frozen=True, slots=True)
class Limits:
    bounds: dict[_Level, float]

    @classmethod
    def of(cls, quotas: dict[QuotaEntity, dict[str, float]], key: str) -> Limits:
        """The quotas of ``key`` among user and client-id entities."""
        bounds: dict[_Level, float] = {}
        for entity, values in quotas.items():
            parts = dict(entity)
            if key in values and IP not in parts:
                bounds[(parts.get(USER, ABSENT), parts.get(CLIENT_ID, ABSENT))] = values[key]
        return cls(bounds)

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def resolve(self, user: str, client_id: str) -> tuple[Tags, float | None]:
        """Who shares the rate, and the bound that applies (None: no quota)."""
        tags = self._tags(user, client_id)
        return tags, self._bound(*tags)

    def _tags(self, user: str, client_id: str) -> Tags:
        b = self.bounds
        if (user, client_id) in b or (user, None) in b:
            return user, client_id
        if (user, ABSENT) in b:
            return user, ""
        if (None, client_id) in b or (None, None) in b:
            return user, client_id
        if (None, ABSENT) in b:
            return user, ""
        return "", client_id

    def _bound(self, user: str, client_id: str) -> float | None:
        levels: tuple[_Level, ...]
        if user and client_id:
            levels = ((user, client_id), (user, None), (None, client_id), (None, None))
        elif user:
            levels = ((user, ABSENT), (None, ABSENT))
        elif client_id:
            levels = ((ABSENT, client_id), (ABSENT, None))
        else:
            return None
        for level in levels:
            bound = self.bounds.get(level)
            if bound is not None:
                return bound
        return None
