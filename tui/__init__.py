"""kctl's live terminal dashboard (Textual). Only ``kctl tui``/``kctl dashboard`` import this."""
