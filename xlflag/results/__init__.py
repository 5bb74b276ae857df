"""Step 4: the results workbook, its award sheets, and the reminder list (催收名单)."""
