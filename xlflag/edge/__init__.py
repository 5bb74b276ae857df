"""Shared edges: atomic files, bundled resources, the sheet look, LibreOffice headless."""
