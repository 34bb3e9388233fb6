"""① The HTTP edge: parse, authorize, call the registry or `invoke`, serialize. No rules of its own."""
