"""Step 1: the scheme workbook read and checked, the presets, the template builder, the signing key."""
