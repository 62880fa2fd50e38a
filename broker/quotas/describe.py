"""DescribeClientQuotas filters, with Kafka's rules (ClientQuotasImage.describe).

A filter is a list of components, each naming an entity type and how to match it: exactly a
name (0), the default entity (1), or any entity of that type, default included (2). A
non-strict filter also matches entities with more types than it names; a strict one only
entities made of exactly the named types. No components and not strict: every entity.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.errors import ErrorCode, KafkaError
from broker.metadata.records import QuotaEntity
from broker.quotas.entity import CLIENT_ID, ENTITY_TYPES, IP, USER

MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class QuotaFilter:
    names: dict[str, str | None]  # type -> the exact name (None: the default entity)
    types: frozenset[str]  # types matched with any name
    strict: bool

    @classmethod
    def parse(cls, components: list[tuple[str, int, str | None]], strict: bool) -> QuotaFilter:
        """Components as (entity type, match type, match); KafkaError if Kafka refuses them."""
        names: dict[str, str | None] = {}
        types: set[str] = set()
        for entity_type, match_type, match in components:
            if not entity_type:
                raise _invalid("Invalid empty entity type.")
            if entity_type in names or entity_type in types:
                raise _invalid(
                    f"Entity type {entity_type} cannot appear more than once in the filter."
                )
            if entity_type not in ENTITY_TYPES:
                raise KafkaError(
                    ErrorCode.unsupported_version, f"Unsupported entity type {entity_type}"
                )
            if match_type == MATCH_EXACT:
                if match is None:
                    raise _invalid(
                        "Request specified MATCH_TYPE_EXACT, but set match string to null."
                    )
                names[entity_type] = match
            elif match_type == MATCH_DEFAULT:
                if match is not None:
                    raise _invalid(
                        "Request specified MATCH_TYPE_DEFAULT, but also specified a match string."
                    )
                names[entity_type] = None
            elif match_type == MATCH_SPECIFIED:
                if match is not None:
                    raise _invalid(
                        "Request specified MATCH_TYPE_SPECIFIED, but also specified a match "
                        "string."
                    )
                types.add(entity_type)
            else:
                raise _invalid(f"Unknown match type {match_type}")
        named = set(names) | types
        if IP in named and (USER in named or CLIENT_ID in named):
            raise _invalid(
                "Invalid entity filter component combination. IP filter component should not "
                "be used with user or clientId filter component."
            )
        return cls(names, frozenset(types), strict)

    def matches(self, entity: QuotaEntity) -> bool:
        parts = dict(entity)
        if self.strict and len(parts) != len(self.names) + len(self.types):
            return False
        for entity_type, name in self.names.items():
            if entity_type not in parts or parts[entity_type] != name:
                return False
        return all(entity_type in parts for entity_type in self.types)


def describe(
    quotas: dict[QuotaEntity, dict[str, float]], quota_filter: QuotaFilter
) -> list[tuple[QuotaEntity, dict[str, float]]]:
    """The entities the filter matches, with their quotas, in a stable order."""
    return sorted(
        ((entity, dict(values)) for entity, values in quotas.items()
         if quota_filter.matches(entity)),
        key=lambda item: [(t, n is not None, n or "") for t, n in item[0]],
    )


def _invalid(message: str) -> KafkaError:
    return KafkaError(ErrorCode.invalid_request, message)
