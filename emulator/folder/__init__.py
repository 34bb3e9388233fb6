"""The functions folder (CONTRACT §10): files → specs (scan), specs → registry (load), saves → reloads (watch)."""
