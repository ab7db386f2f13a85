"""Review: the inspector's verdict per photo and box-by-box corrections, kept as a layer over the
model's answer in an append-only, hash-chained audit trail inside the run's journal (no Qt here)."""
