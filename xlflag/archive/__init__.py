"""The 星级党员档案: every committed period kept (SQLite or PostgreSQL), read back as records."""


class PeriodCommitted(Exception):
    """The period is in the archive already; commit again only with replace. (Here, not in
    ``store``: the CLI catches it without importing SQLAlchemy, which only ``store`` needs.)"""

    def __init__(self, period: str, version: int):
        super().__init__(f"{period}已存档（第{version}版）；确需更正请加 --replace，原版本仍保留")
        self.period, self.version = period, version
