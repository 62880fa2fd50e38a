"""The dashboard's data layer: plain functions over the Kafka protocol, no Textual imports.

Everything here blocks (confluent-kafka calls), so the app runs it in worker threads.
"""
