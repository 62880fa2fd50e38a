"""The transaction coordinator: transactional ids, their producer ids and epochs, and the
two-phase commit of each transaction (state.py lists the legal transitions)."""
