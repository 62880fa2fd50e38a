"""kctl: a Kafka-compatible broker."""
