"""② What is deployed: validated specs, detection, and the registry of versions."""
