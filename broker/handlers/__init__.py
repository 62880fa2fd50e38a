"""One module per API key: ``async def handle(ctx, request) -> response``.

Handlers are the only layer that imports both protocol messages and the domain (log,
partition, group, metadata). Each module registers itself with ``@handles(ApiKey.X)``;
``registry.load()`` imports them all.
"""
