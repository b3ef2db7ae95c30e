"""attrs records named as the API names them, one module per API area; no I/O."""
