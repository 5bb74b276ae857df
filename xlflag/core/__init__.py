"""The pure core: the model, the scoring, star and flag rules, form plans and layouts, formula text,
the problem catalogue and the signed identity. No Excel library, no CLI, no file I/O."""
