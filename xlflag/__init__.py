"""xlflag: the 授旗评星 evaluation — scheme → forms → returns → scores → results workbook."""
from .api import (
    Consolidation,
    check_scheme,
    consolidate,
    init_scheme,
    load_scheme,
    make_forms,
)

__all__ = ["Consolidation", "check_scheme", "consolidate", "init_scheme", "load_scheme", "make_forms"]
__version__ = "0.1.0"
