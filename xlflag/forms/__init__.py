"""Step 2: the measurement forms and the dispatch list (发放清单)."""
