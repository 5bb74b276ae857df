"""The office's working papers 工作底稿.xlsx: what must never be posted.

文件清单 (every file received, as the evidence store's ledger), 问题清单 (with file names),
回收明细 (the return matrix with the names still owed), 评分明细 / 授旗评分明细 (one row
per rater per person rated, the ones 去掉最高最低分 left out marked), and the analyses only the
office reads (core.analytics): 自评差距 (each member's self rating against the others') and
支部强弱项 (each branch's highest and lowest items). Written beside the evidence store, every sheet marked 内部资料 in
its first row and in the printed page header. The results workbook (``workbook``) holds none
of this.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from ..core.analytics import BranchItems, SelfGap, branch_items, self_gaps
from ..core.model import BRANCH_TARGET, MEMBER_TARGET, Scheme
from ..core.problems import Problem
from ..core.scoring import Rating, round_half_up
from ..edge.bulk import BulkSheet
from ..edge.files import atomic_path, new_workbook
from ..edge.sheetkit import formats, page, table_head
from ..ingest.returns import LedgerEntry
from ..ingest.store import LEDGER_COLUMNS
from ..ingest.tracking import SlotStatus
from .inputs import ResultsInput

PAPERS_FILE = "工作底稿.xlsx"
INTERNAL = "内部资料"
LEDGER, PROBLEMS, MATRIX, DETAIL, FLAG_DETAIL = "文件清单", "问题清单", "回收明细", "评分明细", "授旗评分明细"
GAPS, STRENGTHS = "自评差距", "支部强弱项"
BANNER = f"{INTERNAL}：含评价人、表单编号与文件名，仅供组织工作人员核对，不得公示、张贴或外传。"
HEAD = 2  # 0-based row of every table header: the banner sits above it
# zlib level of the working papers' parts: a county's are 320 MB of XML (评分明细 nearly all of
# it), deflated in 2.2 s at level 2 instead of 7.8 s at zlib's default 6, for 39 MiB instead of
# 30. They stay in the office beside the evidence store, and are written last: the time counts.
PAPERS_ZIP_LEVEL = 2


@dataclass(frozen=True)
class Detail:
    """评分明细's rows, compact: per rating its leading cells and the item columns of its
    scores (a few layouts, shared), and every score in one array of floats. A county's 310,000
    ratings travel to the other process as this (tens of MB) instead of 6 million Fractions."""

    heads: list[tuple]  # 支部 .. 不计分, as written
    columns: list[tuple[int, ...]]  # per rating: the 0-based item column of each of its scores
    scores: array  # every rating's scores in turn, as floats

    def tails(self, first: int):
        """Per rating, its scores as ``BulkSheet.write_bulk`` takes a row's tail: the columns
        from ``first`` on (one tuple per layout) and the scores."""
        pos, scores, placed = 0, self.scores, {}
        for columns in self.columns:
            at = placed.get(columns)
            if at is None:
                at = placed[columns] = tuple(first + col for col in columns)
            yield at, scores[pos:pos + len(columns)]
            pos += len(columns)


@dataclass(frozen=True)
class PapersInput:
    """What ``write_papers`` reads, computed where the ratings are (``papers_input``)."""

    scheme: Scheme
    ledger: list[LedgerEntry]
    problems: list[Problem]
    status: list[SlotStatus]
    detail: Detail
    flag_detail: Detail | None
    gaps: list[SelfGap]
    strengths: list[BranchItems]


def papers_input(data: ResultsInput) -> PapersInput:
    scheme = data.scheme
    ratings = data.ratings_for(MEMBER_TARGET)
    analysed = bool(scheme.member_groups)
    return PapersInput(scheme, data.ledger, data.problems, data.status, _detail(scheme, ratings, MEMBER_TARGET),
                       _detail(scheme, data.ratings_for(BRANCH_TARGET), BRANCH_TARGET) if scheme.flag else None,
                       self_gaps(scheme, ratings) if analysed else [], branch_items(scheme, ratings) if analysed else [])


def write_papers(data: PapersInput | ResultsInput, target: Path) -> Path:
    if isinstance(data, ResultsInput):
        data = papers_input(data)
    scheme = data.scheme
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, zip_level=PAPERS_ZIP_LEVEL,
                          title=f"{scheme.settings.organisation}{scheme.settings.period_label}工作底稿（{INTERNAL}）")
        fmt = formats(wb)
        _write_ledger(wb.add_worksheet(LEDGER), fmt, data.ledger)
        _write_problems(wb.add_worksheet(PROBLEMS), fmt, data.problems)
        _write_matrix(wb.add_worksheet(MATRIX), fmt, data.status)
        _write_detail(wb.add_worksheet(DETAIL, BulkSheet), fmt, scheme, data.detail, MEMBER_TARGET)
        if data.flag_detail is not None:
            _write_detail(wb.add_worksheet(FLAG_DETAIL, BulkSheet), fmt, scheme, data.flag_detail, BRANCH_TARGET)
        if scheme.member_groups:
            _write_gaps(wb.add_worksheet(GAPS), fmt, data.gaps)
            _write_strengths(wb.add_worksheet(STRENGTHS), fmt, data.strengths)
        wb.close()
    return Path(target)


def _table(ws, fmt, headers, widths, rows: int, key_columns: int = 0, printed_columns: int = 0) -> None:
    """The banner, the header row, a filter, and 内部资料 in the printed header."""
    ws.merge_range(0, 0, 0, (printed_columns or len(headers)) - 1, BANNER, fmt["note"])
    ws.set_row(0, 30)
    table_head(ws, fmt, HEAD, headers, widths)
    ws.autofilter(HEAD, 0, HEAD + max(rows, 1), len(headers) - 1)
    page(ws, (0, HEAD), key_columns=key_columns, printed_columns=printed_columns)
    ws.set_header(f"&L&\"黑体,Bold\"{INTERNAL}&C{ws.get_name()}&R工作底稿")


def _write_ledger(ws, fmt, ledger: list[LedgerEntry]) -> None:
    """The same ledger as the evidence store's 台账.csv, column for column. What a person
    checks is printed (文件 to 邮件日期); 表单ID, SHA-256 and the store's paths are for looking up."""
    headers = tuple(heading for heading, _ in LEDGER_COLUMNS)
    printed = headers.index("表单ID")
    _table(ws, fmt, headers, (40, 8, 18, 50, 24, 24, 18, 30, 20, 30, 30)[:len(headers)], len(ledger),
           printed_columns=printed)
    for r, e in enumerate(ledger, start=HEAD + 1):
        for c, (_, attribute) in enumerate(LEDGER_COLUMNS):
            # write_string: a rater's "=1+1" file name must stay text, never become a formula
            ws.write_string(r, c, str(getattr(e, attribute) or ""), fmt["text" if c < printed else "plain"])


def _write_problems(ws, fmt, problems: list[Problem]) -> None:
    headers = ("代码", "级别", "文件", "工作表", "单元格", "发现", "应为", "说明")
    _table(ws, fmt, headers, (26, 6, 36, 10, 10, 18, 18, 50), len(problems))
    for r, problem in enumerate(problems, start=HEAD + 1):
        for c, value in enumerate(problem.as_row().values()):
            ws.write_string(r, c, value, fmt["text"])


def _write_matrix(ws, fmt, status: list[SlotStatus]) -> None:
    """The return matrix ``xlflag status`` counts, with the names still owed."""
    headers = ("支部", "评价主体", "应收", "已交", "已采用", "问题", "未采用", "待催收评价人")
    _table(ws, fmt, headers, (18, 12, 7, 7, 7, 7, 7, 50), len(status))
    for r, s in enumerate(status, start=HEAD + 1):
        ws.write_string(r, 0, s.branch, fmt["text"])
        ws.write_string(r, 1, s.group, fmt["text"])
        ws.write_row(r, 2, (s.expected, s.returned, s.accepted, s.problems, s.expected - s.accepted), fmt["center"])
        ws.write_string(r, 7, "、".join(s.missing), fmt["text"])


DETAIL_COLUMNS = ("支部", "评价主体", "评价人", "被评编号", "被评名称", "指标体系", "满意度", "合计", "不计分")


def _detail_items(scheme: Scheme, target: str):
    sets = [scheme.flag.set_name] if target == BRANCH_TARGET else list(dict.fromkeys(m.criteria_set for m in scheme.members))
    return sets, [i for s in sets for i in scheme.items_of(s)]


def _detail(scheme: Scheme, ratings: list[Rating], target: str) -> Detail:
    """One row per rater per person (or branch) rated: the scores as each rater gave them."""
    _, items = _detail_items(scheme, target)
    item_cols = {(i.set_name, i.code): n for n, i in enumerate(items)}
    names = {g.code: g.name for g in scheme.groups}
    layouts: dict[tuple, tuple[int, ...]] = {}  # (set, its codes in form order) → item columns: one object each
    heads, columns, scores = [], [], []
    for rating in ratings:
        if target == BRANCH_TARGET:
            set_name, branch, ratee = scheme.flag.set_name, rating.ratee, (scheme.branch_code(rating.ratee), rating.ratee)
        else:
            member = scheme.member(rating.ratee)
            set_name, branch, ratee = member.criteria_set, member.branch, (member.member_id, member.name)
        codes = tuple(map(_code, rating.scores))
        layout = layouts.get((set_name, codes))
        if layout is None:
            layout = layouts[(set_name, codes)] = tuple(item_cols[(set_name, code)] for code in codes)
        columns.append(layout)
        points = rating.points  # mostly: the ints as they are (small ints are shared objects)
        scores += map(_float, map(_score, rating.scores)) if points is None else points
        # 不计分: 最高分/最低分 left out by 去掉最高最低分
        heads.append((branch, names[rating.group], rating.rater, *ratee, set_name, rating.answer, _float(rating.total),
                      rating.dropped))
    return Detail(heads, columns, array("d", scores))


_code, _score = itemgetter(0), itemgetter(1)


def _write_detail(ws, fmt, scheme: Scheme, detail: Detail, target: str) -> None:
    """A county's million rows, so straight to XML: ``edge.bulk``."""
    sets, items = _detail_items(scheme, target)
    prefix = len(sets) > 1
    headers = DETAIL_COLUMNS + tuple(f"{i.set_name}{i.code}" if prefix else i.code for i in items)
    _table(ws, fmt, headers, (14, 10, 10, 10, 12, 10, 8, 8, 8) + (6,) * len(items), len(detail.heads), key_columns=5)
    ws.write_bulk(HEAD + 1, detail.heads, [fmt["text"]] * 7 + [fmt["center"]] * (2 + len(items)),
                  tails=detail.tails(len(DETAIL_COLUMNS)))


def _float(score) -> float:
    """float(score), a third of the time for a whole score (a county's millions are mostly
    whole): float(Fraction) goes through numbers.Rational, a dict keyed by Fraction through
    its hash, both in Python."""
    return float(score.numerator) if score.denominator == 1 else float(score)


def _write_gaps(ws, fmt, gaps: list[SelfGap]) -> None:
    """自评差距: the self rating's total against the others' weighted mean, largest gap first."""
    headers = ("支部", "编号", "姓名", "自评得分", "他评得分", "差距（自评−他评）")
    gaps = sorted(gaps, key=lambda g: (g.gap is None, -(g.gap or 0)))
    _table(ws, fmt, headers, (18, 10, 10, 10, 10, 16), len(gaps))
    ws.merge_range(1, 0, 1, len(headers) - 1, "他评得分：除自评外各评价主体平均分按权重折算为100%后的加权平均；差距为正表示自评高于他评。", fmt["note"])
    for r, g in enumerate(gaps, start=HEAD + 1):
        for c, value in enumerate((g.member.branch, g.member.member_id, g.member.name)):
            ws.write_string(r, c, value, fmt["text"])
        for c, value in enumerate((g.self_total, g.others, g.gap), start=3):
            if value is None:
                ws.write_string(r, c, "—", fmt["center"])
            else:
                ws.write_number(r, c, float(round_half_up(value)), fmt["score"])


def _write_strengths(ws, fmt, rows: list[BranchItems]) -> None:
    """支部强弱项: per branch, the items with the highest and lowest mean share of the maximum."""
    headers = ("支部", "强项（得分率最高）", "最高得分率", "弱项（得分率最低）", "最低得分率")
    _table(ws, fmt, headers, (18, 40, 10, 40, 10), len(rows))
    ws.merge_range(1, 0, 1, len(headers) - 1, "得分率：该支部全部评分中该项平均分占满分的比例；并列时全部列出。", fmt["note"])
    for r, b in enumerate(rows, start=HEAD + 1):
        shares = dict((i, s) for i, s in b.shares)
        ws.write_string(r, 0, b.branch, fmt["text"])
        for c, items in ((1, b.highest), (3, b.lowest)):
            ws.write_string(r, c, "、".join(f"{i.code} {i.text}" for i in items) or "—", fmt["text"])
            if items:
                ws.write_number(r, c + 1, float(shares[items[0]]), fmt["percent"])
