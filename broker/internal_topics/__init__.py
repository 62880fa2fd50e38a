"""What the coordinators' internal topics share: the record codec and partitioning of their
keys, and appending to / replaying a compacted internal topic (``__consumer_offsets`` for the
group coordinator, ``__transaction_state`` for the transaction coordinator)."""
