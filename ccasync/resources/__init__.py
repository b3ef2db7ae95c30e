"""Resource clients, one per API area; reach them through :class:`ccasync.Client`."""
