"""Platform-shaped JSON events, built once here for every language (pure: no I/O)."""
