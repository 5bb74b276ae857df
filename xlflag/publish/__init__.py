"""Step 5: what leaves the office — the 公示 to pin up and the 简报 — from the final results."""
