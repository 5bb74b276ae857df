"""`xlflag ...` with the signing key and every clock (openpyxl, zipfile) fixed: byte-stable output
for comparing two versions of xlflag. Used by demo_identical.sh."""
import secrets, sys, datetime
if __name__ == "__main__":
    secrets.token_hex = lambda n=32: "ab" * n
    class FixedDT(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2026, 1, 1, tzinfo=tz)
    import openpyxl.writer.excel as ex, openpyxl.packaging.core as core
    fake = type("m", (), {"datetime": FixedDT, "timezone": datetime.timezone})
    ex.datetime = fake; core.datetime = fake
    import zipfile, time as _t
    zipfile.time = type('t', (), {'time': staticmethod(lambda: 1767225600.0), 'localtime': staticmethod(lambda *a: _t.gmtime(1767225600.0))})
    from xlflag.cli import main
    sys.argv = ["xlflag"] + sys.argv[1:]
    main()
