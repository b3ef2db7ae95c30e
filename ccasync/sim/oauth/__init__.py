"""OAuth2 of the simulator: the token, device and authorize endpoints, grants, bearer checks."""
