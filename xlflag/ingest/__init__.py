"""Step 3: every returned file, from disk, mail or archive, into accepted forms and ledger lines."""
