"""Small lookup tables used by collectors.detect (kept as Python so they are importable and typed)."""
