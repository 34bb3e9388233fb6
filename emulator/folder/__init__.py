"""The functions folder (CONTRACT §10): files → specs and snapshots (scan, files), specs → registry (load),
saves → reloads (watch)."""
