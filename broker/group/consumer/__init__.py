"""Consumer groups of the next-generation protocol (KIP-848): server-side assignment, member
and group epochs, reconciliation by ConsumerGroupHeartbeat."""
