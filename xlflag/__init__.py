"""xlflag: the 授旗评星 evaluation — scheme → forms → returns → scores → results workbook.

The library API is ``xlflag.api``; its main entry points are also reachable from here, loaded
on first use (PEP 562), so that a pool worker importing one stage (``xlflag.ingest.returns``,
``xlflag.forms.template``) does not import every other stage with it.
"""

__all__ = ["Consolidation", "check_scheme", "consolidate", "init_scheme", "load_scheme", "make_forms"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'xlflag' has no attribute {name!r}")
