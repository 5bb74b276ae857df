"""Step 1: the scheme workbook → ``Scheme``, with every problem located by sheet and cell.

Only ``load_tables`` touches Excel; parsing and checking work on plain rows, so a problem
can always say which cell the clerk should fix.
"""
from __future__ import annotations

from dataclasses import replace
import re
import zipfile
from datetime import date, datetime
from fractions import Fraction
from functools import cached_property
from pathlib import Path

from ..core.adjustments import COLUMNS as ADJUSTMENT_COLUMNS
from ..core.ballots import DEFAULT_TRIM_MINIMUM, VOID_RULES
from ..core.formulas import col_letter
from ..core.model import (
    BLANK_POLICIES,
    BLANK_SKIP_ROW,
    BRANCH_RATER_KINDS,
    DEFAULT_MIN_RATERS,
    SHORT_POLICIES,
    SHORT_RESCALE,
    BRANCH_TARGET,
    DEFAULT_SET,
    MEMBER_RATER_KINDS,
    MEMBER_TARGET,
    RATER_LEADERS,
    RATER_PEERS,
    RATER_REPS,
    Adjustment,
    Branch,
    Item,
    Member,
    ModelStar,
    RaterGroup,
    Scheme,
    Settings,
    StarBand,
)
from ..core.problems import CannotRun, Code, Problem, Report
from ..core.values import number_text
from ..edge.files import safe_filename
from .rules import FLAG_RULES, QUOTA_STAR, RulesParser, tie_clauses
from .tables import YES, Table, blank, day, names, share, text

SETTINGS = "设置"
CRITERIA = "测评项目"
GROUPS = "评价主体"
BANDS = "星级标准"
BRANCHES = "支部"
ROSTER = "党员名册"
MODEL_STARS = "模范星"
ADJUSTMENTS = "调整"  # adjustments and appeals, applied after scoring (core.adjustments)

# Required columns per table sheet; columns are found by header text, not position.
COLUMNS = {
    CRITERIA: ("指标体系", "类别", "项目编号", "项目内容", "满分"),
    GROUPS: ("对象", "代码", "名称", "权重", "评价人", "人数"),
    BANDS: ("星级", "下限", "上限"),
    BRANCHES: ("支部名称", "领导点评人"),
    ROSTER: ("支部", "编号", "姓名", "突出表现"),
}
OPTIONAL_TABLES = {MODEL_STARS: ("星名", "指标体系", "类别", "门槛"), ADJUSTMENTS: ("对象", "类型", "新值", "理由", "批准人")}


class SchemeError(CannotRun):
    """The scheme cannot be used at all (file missing or not a workbook)."""


def load_tables(path: Path) -> dict[str, list[tuple]]:
    """Every sheet as raw rows of values, as openpyxl gives them (the only Excel in this module)."""
    if path.is_dir():
        raise SchemeError(f"{path}是一个文件夹，请给出方案工作簿（.xlsx）的路径，例如{path / '方案.xlsx'}")
    if not path.is_file():
        raise SchemeError(f"找不到方案文件：{path}。请检查路径，或先运行“xlflag init 文件夹”生成方案")
    fast = tables_by_calamine(path)
    return fast if fast is not None else tables_by_openpyxl(path)


def tables_by_openpyxl(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:
        raise SchemeError(f"{path}不是可以打开的Excel工作簿（.xlsx）。请用Excel或WPS打开方案，"
                          f"“另存为”Excel工作簿(.xlsx)后重试") from exc
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


_OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # what openpyxl opens at all
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?t="e"')


def tables_by_calamine(path: Path) -> dict[str, list[tuple]] | None:
    """``load_tables``' rows through calamine (a county's 9,000-member roster: 0.1 s instead of
    1.7 s), as openpyxl gives them: from A1, blanks as None, whole numbers as int, dates as
    datetime. None — read it with openpyxl — for anything openpyxl might read otherwise or
    refuse: a name openpyxl would not open, a file that is no .xlsx package, a sheet holding an
    error value (calamine reads #N/A as a blank), a failure of calamine's."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    if path.suffix.lower() not in _OPENPYXL_SUFFIXES:
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if "xl/workbook.xml" not in names:
                return None
            if any(_ERROR_CELL.search(zf.read(name)) for name in names if name.endswith(".xml")):
                return None
        with CalamineWorkbook.from_path(str(path)) as wb:
            return {meta.name: _calamine_rows(wb.get_sheet_by_name(meta.name))
                    for meta in wb.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a Rust panic is a BaseException: openpyxl decides
        return None


def _calamine_rows(sheet) -> list[tuple]:
    if sheet.start is None:
        return []
    top, left = sheet.start  # 0-based: to_python() starts at the first cell holding something
    rows = [(None,) * (left + sheet.width) for _ in range(top)]
    lead = (None,) * left
    rows += [lead + tuple(map(_as_openpyxl, row)) for row in sheet.to_python()]
    return rows


_WHOLE = 2 ** 53  # a float this large openpyxl reads as written (1E+16), not as a whole number


def _as_openpyxl(v):
    if isinstance(v, str):
        return v or None  # calamine's empty cell is ""
    if isinstance(v, float):
        return int(v) if v.is_integer() and -_WHOLE < v < _WHOLE else v
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)
    return v


def read_scheme(path: Path) -> tuple[Scheme | None, Report]:
    """Load and check a scheme workbook; the scheme is None when it has errors."""
    return parse_scheme(load_tables(Path(path)), file=Path(path).name)


def parse_scheme(sheets: dict[str, list[tuple]], file: str = "") -> tuple[Scheme | None, Report]:
    report = Report()
    tables = {}
    required = dict(COLUMNS)
    if MODEL_STARS in sheets:  # S3/S5 award named stars instead of star levels
        required.pop(BANDS)
    wanted = required | {k: v for k, v in OPTIONAL_TABLES.items() if k in sheets}
    for name, columns in wanted.items():
        table = _table(sheets, name, columns, file, report)
        if table is not None:
            tables[name] = table
    settings = _settings(sheets, file, report)
    if settings is None or not set(required) <= set(tables):
        return None, report
    parsed = _Parser(tables, file, report)
    items = parsed.items()
    groups = parsed.groups()
    rules = RulesParser(file, report)
    scheme = Scheme(
        settings=settings,
        items=items,
        groups=groups,
        bands=parsed.bands() if BANDS in tables else (),
        branches=parsed.branches(),
        members=parsed.members(items),
        model_stars=parsed.model_stars(items) if MODEL_STARS in tables else (),
        flag=rules.flag(_optional_key_values(sheets, FLAG_RULES), items),
        quota_star=rules.quota_star(_optional_key_values(sheets, QUOTA_STAR), groups),
        adjustments=adjustments(tables[ADJUSTMENTS]) if ADJUSTMENTS in tables else (),
        extra={k: tuple(v) for k, v in sheets.items() if k not in COLUMNS and k != SETTINGS},
    )
    parsed.check_whole(scheme)
    parsed.check_file_names()
    return (scheme if report.valid else None), report


def _table(sheets, name, columns, file, report) -> Table | None:
    if name not in sheets:
        report.add(Problem(Code.SCHEME_SHEET_MISSING, file, name, "", expected=name))
        return None
    raw = sheets[name]
    header = {text(v): i for i, v in enumerate(raw[0])} if raw else {}
    missing = [c for c in columns if c not in header]
    header_row = f"A1:{col_letter(max(len(header), 1))}1"  # the header row, where the column belongs
    for column in missing:
        report.add(Problem(Code.SCHEME_COLUMN_MISSING, file, name, header_row, expected=column))
    if missing:
        return None
    rows = tuple((n, r) for n, r in enumerate(raw[1:], start=2) if not all(blank(v) for v in r))
    return Table(name, header, rows)


SETTING_KEYS = {"组织名称": "organisation", "期次": "period"}


def key_values(sheets, name) -> dict[str, tuple[int, str]]:
    """A two-column 项目/值 sheet: key → (row, value text)."""
    found = {}
    for n, row in enumerate(sheets[name], start=1):
        if len(row) >= 2 and not blank(row[0]):
            found[text(row[0])] = (n, text(row[1]))
    return found


def _optional_key_values(sheets, name) -> dict[str, tuple[int, str]] | None:
    return key_values(sheets, name) if name in sheets else None


def _settings(sheets, file, report) -> Settings | None:
    if SETTINGS not in sheets:
        report.add(Problem(Code.SCHEME_SHEET_MISSING, file, SETTINGS, "", expected=SETTINGS))
        return None
    found = key_values(sheets, SETTINGS)
    for key in SETTING_KEYS:
        row, value = found.get(key, (0, ""))
        if not value:
            report.add(Problem(Code.SCHEME_SETTING_MISSING, file, SETTINGS, f"B{row}" if row else "", expected=key))
    if any(not found.get(k, (0, ""))[1] for k in SETTING_KEYS):
        return None
    step_row, step_text = found.get("计分步长", (0, "1"))
    try:
        step = Fraction(step_text or "1")
        if step <= 0:
            raise ValueError
    except ValueError:
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{step_row}", step_text, "正数，如1或0.5"))
        step = Fraction(1)
    period_row, period = found["期次"]
    problem = file_name_problem(period, file, SETTINGS, f"B{period_row}")  # names the store's folder
    if problem is not None:
        report.add(problem)
    blank_row, blank_policy = found.get("空白处理", (0, BLANK_SKIP_ROW))
    if (blank_policy or BLANK_SKIP_ROW) not in BLANK_POLICIES:
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{blank_row}", blank_policy, "或".join(BLANK_POLICIES)))
        blank_policy = BLANK_SKIP_ROW
    min_raters, short_policy = _anonymity(found, file, report)
    award_row, award_text = found.get("表彰最低星级", (0, ""))
    award_min_stars = None
    if award_text:
        if award_text.isdigit() and int(award_text) > 0:
            award_min_stars = int(award_text)
        else:
            report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{award_row}", award_text, "正整数，如4（每期至少4星）"))
    return Settings(
        organisation=found["组织名称"][1],
        period=found["期次"][1],
        cycle=found.get("周期", (0, "季度"))[1] or "季度",
        top_star_needs_outstanding=found.get("五星需突出表现", (0, "是"))[1] in YES,
        step=step,
        blank_policy=blank_policy or BLANK_SKIP_ROW,
        **_notice_settings(found, file, report),
        min_raters=min_raters,
        short_policy=short_policy,
        award_min_stars=award_min_stars,
        **_ballot_settings(found, file, report),
    )


def _ballot_settings(found, file, report) -> dict:
    """星级名额 / 星级名额并列规则, 废票规则 (core.ballots)."""
    def bad(key, expected):
        row, value = found[key]
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{row}", value, expected))

    quotas = []
    for clause in (c.strip() for c in re.split("[；;，,、]", found.get("星级名额", (0, ""))[1]) if c.strip()):
        level, _, amount = clause.replace("：", ":").partition(":")
        level = level.strip().removesuffix("星").removesuffix("级")
        quota = share(amount.strip())
        if not level.isdigit() or quota is None:
            bad("星级名额", "如“5星:5%”或“5星:1/3”，多项用分号分隔")
            continue
        quotas.append((int(level), quota))
    rules = names(found.get("废票规则", (0, ""))[1])
    if any(r not in VOID_RULES for r in rules):
        bad("废票规则", "、".join(VOID_RULES) + "中的一项或两项")
    ties = tuple(c.removesuffix("平均分") for c in tie_clauses(found.get("星级名额并列规则", (0, ""))[1]))
    trim = None
    if found.get(TRIM_KEY, (0, ""))[1]:
        trim = _trim_minimum(found[TRIM_KEY][1])
        if trim is None:
            bad(TRIM_KEY, f"“是”（评价主体不少于{DEFAULT_TRIM_MINIMUM}人时去掉）或不小于3的整数，如5")
    return {
        "trim_minimum": trim,
        "star_quotas": tuple(sorted(quotas)),
        "quota_tie_break": ties,
        "void_rules": tuple(r for r in rules if r in VOID_RULES),
    }


TRIM_KEY = "去掉最高最低分"


def _trim_minimum(value: str) -> int | None:
    """设置 → 去掉最高最低分: 是 (from DEFAULT_TRIM_MINIMUM raters) or a whole number ≥ 3."""
    if value in YES:
        return DEFAULT_TRIM_MINIMUM
    try:
        n = Fraction(value.removesuffix("人"))
    except ValueError:
        return None
    return int(n) if n.denominator == 1 and n >= 3 else None


PUBLISH_LEVELS, PUBLISH_SCORES = "星级", "星级和得分"


def _notice_settings(found, file, report) -> dict:
    """公示内容, 公示天数, 公示开始/结束 (the end at least 公示天数 after the start), 申诉方式, 免收表单."""
    def bad(key, expected):
        row, value = found[key]
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{row}", value, expected))

    content = found.get("公示内容", (0, ""))[1] or PUBLISH_LEVELS
    if content not in (PUBLISH_LEVELS, PUBLISH_SCORES):
        bad("公示内容", f"{PUBLISH_LEVELS}或{PUBLISH_SCORES}")
    days_text = found.get("公示天数", (0, ""))[1] or "3"
    days = int(days_text) if days_text.isdigit() and int(days_text) > 0 else None
    if days is None:
        bad("公示天数", "正整数（天），如3")
    dates = {}
    for key in ("公示开始", "公示结束"):
        value = found.get(key, (0, ""))[1]
        dates[key] = day(value) if value else None
        if value and dates[key] is None:
            bad(key, "日期，如2026-12-01")
    start, end = dates["公示开始"], dates["公示结束"]
    if start and end and days and (end - start).days < days:
        row, value = found["公示结束"]
        report.add(Problem(Code.SCHEME_NOTICE_TOO_SHORT, file, SETTINGS, f"B{row}", value, f"{days}天"))
    return {
        "publish_scores": content == PUBLISH_SCORES,
        "notice_days": days or 3,
        "notice_start": start,
        "notice_end": end,
        "appeal": found.get("申诉方式", (0, ""))[1],
        "waived": names(found.get("免收表单", (0, ""))[1]),
    }


def adjustments(table: Table) -> tuple[Adjustment, ...]:
    """The 调整 rows as written; whether each can be applied is decided after scoring."""
    rows = []
    for row, v in table.rows:
        fields = [_date_text(table.get(v, c)) for c in ADJUSTMENT_COLUMNS]
        cells = tuple((c, table.cell(row, c)) for c in ADJUSTMENT_COLUMNS if c in table.header)
        rows.append(Adjustment(row, *fields, cells=cells))
    return tuple(rows)


def _date_text(v) -> str:
    return v.date().isoformat() if isinstance(v, datetime) else text(v)


MIN_RATERS_KEY, SHORT_POLICY_KEY = "评价人数门槛", "不足门槛时"


def _anonymity(found, file, report) -> tuple[int, str]:
    """设置 → 评价人数门槛 (a positive whole number, default 3) and 不足门槛时 (what the total does)."""
    row, value = found.get(MIN_RATERS_KEY, (0, ""))
    try:
        n = Fraction(value or DEFAULT_MIN_RATERS)
        if n.denominator != 1 or n < 1:
            raise ValueError
    except ValueError:
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{row}", value, "正整数，如3"))
        n = Fraction(DEFAULT_MIN_RATERS)
    row, policy = found.get(SHORT_POLICY_KEY, (0, ""))
    if (policy or SHORT_RESCALE) not in SHORT_POLICIES:
        report.add(Problem(Code.SCHEME_VALUE_INVALID, file, SETTINGS, f"B{row}", policy, "或".join(SHORT_POLICIES)))
        policy = SHORT_RESCALE
    return int(n), policy or SHORT_RESCALE


class _Parser:
    """Turns located rows into model objects, reporting each bad cell once."""

    def __init__(self, tables: dict[str, Table], file: str, report: Report):
        self.t = tables
        self.file = file
        self.report = report
        self.bad_sheets: set[str] = set()  # a sheet with a bad row: its totals would only mislead
        self.band_cells: dict[StarBand, tuple[str, str]] = {}  # (下限 cell, 上限 cell)

    def problem(self, code, table: Table, row: int, column: str, found="", expected=""):
        self.bad_sheets.add(table.sheet)
        self.report.add(Problem(code, self.file, table.sheet, table.cell(row, column), str(found), expected))

    def number(self, table, row, values, column, expected="数字") -> Fraction | None:
        v = table.get(values, column)
        try:
            return Fraction(text(v))
        except (ValueError, ZeroDivisionError):
            self.problem(Code.SCHEME_VALUE_INVALID, table, row, column, text(v), expected)
            return None

    def items(self) -> tuple[Item, ...]:
        table, items, seen = self.t[CRITERIA], [], set()
        for row, v in table.rows:
            set_name = text(table.get(v, "指标体系")) or DEFAULT_SET
            code = text(table.get(v, "项目编号"))
            maximum = table.get(v, "满分")
            if isinstance(maximum, float) and maximum.is_integer():
                maximum = int(maximum)
            if isinstance(maximum, str) and maximum.strip().isdigit():
                maximum = int(maximum.strip())
            if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum <= 0:
                self.problem(Code.SCHEME_ITEM_MAX_INVALID, table, row, "满分", text(maximum))
                continue
            if (set_name, code) in seen or not code:
                self.problem(Code.SCHEME_ITEM_CODE_DUPLICATE, table, row, "项目编号", code)
                continue
            seen.add((set_name, code))
            wording = text(table.get(v, "项目内容"))
            short = text(table.get(v, "简称"))
            items.append(Item(set_name, text(table.get(v, "类别")), code, wording, maximum, short))
        return tuple(items)

    def groups(self) -> tuple[RaterGroup, ...]:
        table, groups = self.t[GROUPS], []
        for row, v in table.rows:
            target = text(table.get(v, "对象")) or MEMBER_TARGET
            kind = text(table.get(v, "评价人"))
            if target not in (MEMBER_TARGET, BRANCH_TARGET):
                self.problem(Code.SCHEME_GROUP_UNKNOWN, table, row, "对象", target, "党员或支部")
                continue
            kinds = MEMBER_RATER_KINDS if target == MEMBER_TARGET else BRANCH_RATER_KINDS
            if kind not in kinds:
                self.problem(Code.SCHEME_GROUP_UNKNOWN, table, row, "评价人", kind, "、".join(kinds))
                continue
            weight = self.weight(table, row, v)
            if weight is not None and not 0 <= weight <= 100:
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, "权重", number_text(weight), "0至100的百分数")
                continue
            count = self.count(table, row, v, kind)
            if weight is None or count is None:
                continue
            code, name = text(table.get(v, "代码")), text(table.get(v, "名称"))
            groups.append(RaterGroup(target, code or name, name or code, weight, kind, count))
        return _as_percent(tuple(groups))

    def weight(self, table, row, values) -> Fraction | None:
        """20, "20", "20%" → 20; 0.2 (what Excel stores for a cell typed 20%) is scaled in ``_as_percent``."""
        raw = text(table.get(values, "权重")).replace("％", "%")
        try:
            return Fraction(raw[:-1]) if raw.endswith("%") else Fraction(raw)
        except (ValueError, ZeroDivisionError):
            self.problem(Code.SCHEME_VALUE_INVALID, table, row, "权重", raw, "0至100的百分数")
            return None

    def count(self, table, row, values, kind) -> int | None:
        if kind != RATER_REPS:
            return 0
        n = self.number(table, row, values, "人数", "正整数")
        if n is None or n.denominator != 1 or n <= 0:
            if n is not None:
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, "人数", n, "正整数")
            return None
        return int(n)

    def bands(self) -> tuple[StarBand, ...]:
        table, bands = self.t[BANDS], []
        for row, v in table.rows:
            stars = self.number(table, row, v, "星级", "0至5的整数")
            if stars is not None and (stars.denominator != 1 or not 0 <= stars <= 5):
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, "星级", number_text(stars), "0至5的整数")
                continue
            low = self.number(table, row, v, "下限")
            high = self.number(table, row, v, "上限")
            if None not in (stars, low, high):
                band = StarBand(int(stars), low, high)
                bands.append(band)
                self.band_cells[band] = (table.cell(row, "下限"), table.cell(row, "上限"))
        return tuple(sorted(bands, key=lambda b: b.low))

    def branches(self) -> tuple[Branch, ...]:
        return tuple(b for _, b in self.branch_rows)

    @cached_property  # read once: a repeated name must be reported once, however often asked
    def branch_rows(self) -> list[tuple[int, Branch]]:
        """(sheet row, branch); a repeated or blank name is reported once and dropped."""
        table, rows, seen = self.t[BRANCHES], [], set()
        for row, v in table.rows:
            name = text(table.get(v, "支部名称"))
            if not name or name in seen:
                self.problem(Code.SCHEME_BRANCH_DUPLICATE, table, row, "支部名称", name)
                continue
            seen.add(name)
            rows.append((row, Branch(name, names(text(table.get(v, "领导点评人"))))))
        return rows

    def members(self, items: tuple[Item, ...]) -> tuple[Member, ...]:
        table, members, seen = self.t[ROSTER], [], set()
        known = {b.name for b in self.branches()}
        sets = {i.set_name for i in items}
        for row, v in table.rows:
            branch, member_id = text(table.get(v, "支部")), text(table.get(v, "编号"))
            if branch not in known:
                self.problem(Code.SCHEME_MEMBER_BRANCH_UNKNOWN, table, row, "支部", branch)
                continue
            if member_id in seen or not member_id:
                self.problem(Code.SCHEME_MEMBER_ID_DUPLICATE, table, row, "编号", member_id)
                continue
            seen.add(member_id)
            outstanding = text(table.get(v, "突出表现")) in YES
            criteria_set = text(table.get(v, "指标体系")) or DEFAULT_SET
            if criteria_set not in sets:
                column = "指标体系" if "指标体系" in table.header else "编号"
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, column, criteria_set, "测评项目中的指标体系：" + "、".join(sorted(sets)))
                continue
            staff_type = text(table.get(v, "人员类别")) or "党员"
            name = text(table.get(v, "姓名"))
            members.append(Member(branch, member_id, name, outstanding, criteria_set, staff_type))
        return tuple(members)

    def model_stars(self, items: tuple[Item, ...]) -> tuple[ModelStar, ...]:
        table, stars = self.t[MODEL_STARS], []
        categories = {(i.set_name, i.category) for i in items}
        for row, v in table.rows:
            set_name, category = text(table.get(v, "指标体系")) or DEFAULT_SET, text(table.get(v, "类别"))
            if (set_name, category) not in categories:
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, "类别", f"{set_name}/{category}", "测评项目中已有的指标体系和类别")
                continue
            threshold = share(table.get(v, "门槛"))
            if threshold is None:
                self.problem(Code.SCHEME_VALUE_INVALID, table, row, "门槛", text(table.get(v, "门槛")), "0至1之间的比例，如0.9或90%")
                continue
            stars.append(ModelStar(text(table.get(v, "星名")), set_name, category, threshold))
        return tuple(stars)

    # (sheet, column) whose names become folders and files: OUT/<支部>/<评价主体>/<评价人>.xlsx
    FILE_NAMES = ((BRANCHES, "支部名称"), (BRANCHES, "领导点评人"), (GROUPS, "名称"), (ROSTER, "姓名"))

    def check_file_names(self) -> None:
        """Every name that becomes a folder or file: `..` is no name; CON or 甲/乙 is renamed."""
        for sheet, column in self.FILE_NAMES:
            table = self.t[sheet]
            for row, v in table.rows:
                raw = text(table.get(v, column))
                for name in names(raw) if column == "领导点评人" else (raw,):
                    problem = file_name_problem(name, self.file, sheet, table.cell(row, column))
                    if problem is not None:
                        self.report.add(problem)

    def check_whole(self, scheme: Scheme) -> None:
        """Rules over a whole sheet rather than one cell, skipped for sheets with a bad row."""
        branch_rows = {b.name: row for row, b in self.branch_rows}
        for problem in whole_scheme_problems(scheme, self.t, self.file, branch_rows, self.band_cells):
            if problem.sheet not in self.bad_sheets:
                self.report.add(problem)


def file_name_problem(name: str, file: str, sheet: str, cell: str) -> Problem | None:
    if not name or safe_filename(name) == name:
        return None
    if not name.strip(". "):
        return Problem(Code.SCHEME_NAME_NOT_A_NAME, file, sheet, cell, name)
    return Problem(Code.SCHEME_NAME_UNSAFE_FILE, file, sheet, cell, name, safe_filename(name))


def _as_percent(groups: tuple[RaterGroup, ...]) -> tuple[RaterGroup, ...]:
    """Weights typed as 20% reach us as 0.2: a target whose weights are all fractions adding up
    to 1 is read as percentages (0.2 → 20)."""
    scaled = []
    for target in (MEMBER_TARGET, BRANCH_TARGET):
        weights = [g.weight for g in groups if g.target == target]
        if weights and sum(weights) == 1 and all(w <= 1 for w in weights):
            scaled.append(target)
    return tuple(replace(g, weight=g.weight * 100) if g.target in scaled else g for g in groups)


def whole_scheme_problems(scheme: Scheme, tables: dict[str, Table], file: str = "",
                          branch_rows: dict[str, int] | None = None,
                          band_cells: dict[StarBand, tuple[str, str]] | None = None) -> list[Problem]:
    problems = []
    groups = tables[GROUPS]
    weight_col = groups.cell(2, "权重")[:-1]
    for target in (MEMBER_TARGET, BRANCH_TARGET):
        weights = [g.weight for g in scheme.groups if g.target == target]
        if weights and sum(weights) != 100:
            rows = [r for r, v in groups.rows if (text(groups.get(v, "对象")) or MEMBER_TARGET) == target]
            cells = f"{weight_col}{min(rows)}:{weight_col}{max(rows)}" if rows else ""
            shown = "、".join(map(str, rows))
            total = number_text(sum(weights))
            problems.append(Problem(Code.SCHEME_WEIGHTS_NOT_100, file, GROUPS, cells, total, f"对象“{target}”（第{shown}行）"))
    if BANDS in tables:  # schemes with named stars only may have no star levels
        problems += band_problems(scheme.bands, file, band_cells or {})
    branch_table = tables[BRANCHES]
    for branch in scheme.branches:
        row = (branch_rows or {}).get(branch.name)
        name_cell = branch_table.cell(row, "支部名称") if row else ""
        members = scheme.members_of(branch.name)
        if any(g.rater_kind == RATER_PEERS for g in scheme.member_groups) and len(members) < 2:
            problems.append(Problem(Code.SCHEME_BRANCH_TOO_SMALL, file, BRANCHES, name_cell, branch.name))
        if any(g.rater_kind == RATER_LEADERS for g in scheme.member_groups) and not branch.leaders:
            leader_cell = branch_table.cell(row, "领导点评人") if row else ""
            problems.append(Problem(Code.SCHEME_BRANCH_NO_LEADER, file, BRANCHES, leader_cell, branch.name))
    return problems


def band_problems(bands: tuple[StarBand, ...], file: str = "",
                  cells: dict[StarBand, tuple[str, str]] | None = None) -> list[Problem]:
    """Bands must tile 0–100: each band starts where the one below ends.

    A problem points at the 下限 of the band that breaks the tiling, or at the 上限 of the top
    band when the bands stop short of 100.
    """
    cells = cells or {}
    problems = []
    edge, top = Fraction(0), None
    for band in bands:  # sorted by low
        low_cell = cells.get(band, ("", ""))[0]
        span = f"[{number_text(band.low)},{number_text(band.high)})"
        if band.low > edge:
            gap = f"{number_text(edge)}至{number_text(band.low)}"
            problems.append(Problem(Code.SCHEME_BANDS_GAP, file, BANDS, low_cell, gap, "0至100"))
        elif band.low < edge:
            problems.append(Problem(Code.SCHEME_BANDS_OVERLAP, file, BANDS, low_cell, span))
        if band.high >= edge:
            edge, top = band.high, band
    if edge < 100:
        high_cell = cells.get(top, ("", ""))[1] if top else ""
        problems.append(Problem(Code.SCHEME_BANDS_GAP, file, BANDS, high_cell, f"{number_text(edge)}至100", "0至100"))
    return problems


