"""The evaluation scheme as plain, frozen data: what the clerk's scheme workbook says.

No Excel here. Every later step (forms, ingest, scoring, results) reads a ``Scheme``.
Numbers that feed scores are ``Fraction`` so Python and Excel agree to the last digit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import cached_property

MEMBER_TARGET = "党员"  # rater groups that rate members (评星)
BRANCH_TARGET = "支部"  # rater groups that rate branches (授旗)
DEFAULT_SET = "党员"  # the criteria set members use unless the roster names another

# Who fills a rater group's forms (the scheme's 评价人 column).
RATER_SELF = "本人"
RATER_PEERS = "本支部其他党员"
RATER_LEADERS = "领导"
RATER_REPS = "代表"
MEMBER_RATER_KINDS = (RATER_SELF, RATER_PEERS, RATER_LEADERS, RATER_REPS)
# Who fills a flag (授旗) group's forms.
RATER_BRANCH = "支部"  # the branch rates itself
RATER_SUPERIOR = "上级"  # the parent organisation rates every branch
BRANCH_RATER_KINDS = (RATER_BRANCH, RATER_LEADERS, RATER_REPS, RATER_SUPERIOR)
SATISFACTION = "满意率"  # a tie-break key that is not a category
# What a blank score cell means (设置 → 空白处理); values.blank_rule_text words it for forms.
BLANK_SKIP_ROW = "整行不计"  # a row with any blank item is not counted for that person (default)
BLANK_AS_ZERO = "按0分计"  # a blank item counts as 0, noted; a row left wholly blank still never counts
BLANK_POLICIES = (BLANK_SKIP_ROW, BLANK_AS_ZERO)
# What a weighted total does while a rater group is below its anonymity threshold
# (设置 → 不足门槛时); the threshold itself is 设置 → 评价人数门槛 (default 3).
SHORT_RESCALE = "按其余评价主体折算"  # the remaining groups' weights are scaled up to 100 % (default)
SHORT_OPEN = "暂不计算综合得分"  # no total until every group reaches its threshold
SHORT_POLICIES = (SHORT_RESCALE, SHORT_OPEN)
DEFAULT_MIN_RATERS = 3


@dataclass(frozen=True)
class Item:
    """One scored item of a criteria set."""

    set_name: str
    category: str
    code: str
    text: str
    maximum: int
    short: str = ""  # 简称 on the narrow column head of a many-people form; derived when absent


@dataclass(frozen=True)
class RaterGroup:
    target: str  # MEMBER_TARGET or BRANCH_TARGET
    code: str
    name: str
    weight: Fraction  # percent
    rater_kind: str
    count: int = 0  # how many representatives, for RATER_REPS


@dataclass(frozen=True)
class StarBand:
    """Lower-inclusive, upper-exclusive (the top band includes its upper bound)."""

    stars: int
    low: Fraction
    high: Fraction


@dataclass(frozen=True)
class Branch:
    name: str
    leaders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    branch: str
    member_id: str
    name: str
    outstanding: bool = False  # the branch's 突出表现 mark, needed for the top star
    criteria_set: str = DEFAULT_SET
    staff_type: str = "党员"  # S3 also rates 机关非党在编人员: shown, scored the same way


@dataclass(frozen=True)
class ModelStar:
    """A named star (S3, S5): awarded when the member's weighted score in its category
    reaches ``threshold`` × the category's maximum."""

    name: str
    set_name: str
    category: str
    threshold: Fraction


@dataclass(frozen=True)
class FlagRules:
    """How the branch flag is awarded (S1, S3, S4, S5)."""

    set_name: str
    flag_name: str = "流动红旗"
    quota: int | None = 1
    minimum: Fraction | None = None
    satisfaction_floor: Fraction | None = None  # S3: 0.85
    answers: tuple[str, ...] = ("满意", "基本满意", "不满意")
    satisfied: tuple[str, ...] = ("满意", "基本满意")
    tie_break: tuple[str, ...] = ()  # category names and/or SATISFACTION, in order
    leaders: tuple[str, ...] = ()  # who fills the flag 领导 forms
    superior: str = "上级党组织"


@dataclass(frozen=True)
class QuotaStar:
    """S4's 党员之星: a fixed number across the whole scheme, by total, ties by group means."""

    name: str
    quota: int
    tie_break: tuple[str, ...] = ()  # rater group names, in order


@dataclass(frozen=True)
class Adjustment:
    """One row of the scheme's 调整 sheet as the office wrote it (S1 增星升级/降级摘星, S3 撤旗、
    摘星, S2 更正 after an appeal); ``core.adjustments`` checks and applies it after scoring."""

    row: int  # the 调整 sheet's row, for the audit and for problems
    target: str  # 对象: a member id, or a branch name
    kind: str  # 类型: one of core.adjustments.KINDS
    value: str = ""  # 新值
    reason: str = ""  # 理由
    approver: str = ""  # 批准人
    date: str = ""  # 日期
    appeal: str = ""  # 所答申诉
    cells: tuple[tuple[str, str], ...] = ()  # (column heading, cell) where each field sits

    def cell(self, column: str) -> str:
        return dict(self.cells).get(column, "")


@dataclass(frozen=True)
class Settings:
    organisation: str
    period: str  # e.g. 2026Q4 or 2026H2: drives titles and file names
    cycle: str = "季度"
    top_star_needs_outstanding: bool = True
    step: Fraction = Fraction(1)
    blank_policy: str = BLANK_SKIP_ROW  # one of BLANK_POLICIES
    # the 公示 (publish.notice): what it shows, how long it is posted, where to appeal
    publish_scores: bool = False  # 公示内容: 星级 (default, as many offices publish) or 星级和得分
    notice_days: int = 3  # 公示天数: the end is at least this many days after the start
    notice_start: date | None = None  # 公示开始
    notice_end: date | None = None  # 公示结束
    appeal: str = ""  # 申诉方式: where and how to appeal
    waived: tuple[str, ...] = ()  # 免收表单: form codes the office does not wait for
    min_raters: int = DEFAULT_MIN_RATERS  # a group's mean is shown only from this many raters
    short_policy: str = SHORT_RESCALE  # one of SHORT_POLICIES
    award_min_stars: int | None = None  # 表彰最低星级: a 表彰 candidate holds at least this every period
    # ballot rules (core.ballots), each off unless set
    star_quotas: tuple[tuple[int, Fraction], ...] = ()  # 星级名额: (level, share of members)
    quota_tie_break: tuple[str, ...] = ()  # 星级名额并列规则: rater group names, in order
    void_rules: tuple[str, ...] = ()  # 废票规则: 全满分, 超名额
    trim_minimum: int | None = None  # 去掉最高最低分: from this many raters of a group on

    @property
    def period_label(self) -> str:
        """2026Q4 → 2026年第四季度, 2026H2 → 2026年下半年; anything else as written."""
        return period_label(self.period)


_QUARTERS = {"1": "第一季度", "2": "第二季度", "3": "第三季度", "4": "第四季度"}
_HALVES = {"1": "上半年", "2": "下半年"}


def period_label(period: str) -> str:
    year, sep, part = period.upper().partition("Q")
    if sep and year.isdigit() and part in _QUARTERS:
        return f"{year}年{_QUARTERS[part]}"
    year, sep, part = period.upper().partition("H")
    if sep and year.isdigit() and part in _HALVES:
        return f"{year}年{_HALVES[part]}"
    return period


@dataclass(frozen=True)
class Scheme:
    settings: Settings
    items: tuple[Item, ...]
    groups: tuple[RaterGroup, ...]
    bands: tuple[StarBand, ...]
    branches: tuple[Branch, ...]
    members: tuple[Member, ...]
    model_stars: tuple[ModelStar, ...] = ()
    flag: FlagRules | None = None
    quota_star: QuotaStar | None = None
    adjustments: tuple[Adjustment, ...] = ()  # 调整: applied after scoring, never in the fingerprint
    # sheets later steps read that the spine does not interpret yet (模范星, 授旗规则 …)
    extra: dict[str, tuple[tuple, ...]] = field(default_factory=dict, compare=False)

    def items_of(self, set_name: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.set_name == set_name)

    def categories_of(self, set_name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.category for i in self.items_of(set_name)))

    @property
    def member_groups(self) -> tuple[RaterGroup, ...]:
        return tuple(g for g in self.groups if g.target == MEMBER_TARGET)

    @property
    def flag_groups(self) -> tuple[RaterGroup, ...]:
        return tuple(g for g in self.groups if g.target == BRANCH_TARGET) if self.flag else ()

    def groups_for(self, target: str) -> tuple[RaterGroup, ...]:
        return self.member_groups if target == MEMBER_TARGET else self.flag_groups

    def group(self, code: str) -> RaterGroup:
        return next(g for g in self.groups if g.code == code)

    def category_maximum(self, set_name: str, category: str) -> int:
        return sum(i.maximum for i in self.items_of(set_name) if i.category == category)

    def stars_of(self, set_name: str) -> tuple[ModelStar, ...]:
        return tuple(s for s in self.model_stars if s.set_name == set_name)

    def branch_code(self, name: str) -> str:
        """Branches have no id in the roster; their position gives a short, stable one."""
        return self._branch_codes[name]

    @cached_property
    def _branch_codes(self) -> dict[str, str]:
        return {b.name: f"Z{n:02d}" for n, b in enumerate(self.branches, start=1)}

    def branch(self, name: str) -> Branch:
        return next(b for b in self.branches if b.name == name)

    def members_of(self, branch: str) -> tuple[Member, ...]:
        return self._members_by_branch.get(branch, ())

    @cached_property  # asked per branch and rater group: a scan each time is quadratic at county scale
    def _members_by_branch(self) -> dict[str, tuple[Member, ...]]:
        by_branch: dict[str, list[Member]] = {}
        for m in self.members:
            by_branch.setdefault(m.branch, []).append(m)
        return {b: tuple(ms) for b, ms in by_branch.items()}

    def member(self, member_id: str) -> Member:
        return self._members_by_id[member_id]

    # Cached: looked up once per rating and per returned file, and the scheme never changes.
    @cached_property
    def _members_by_id(self) -> dict[str, Member]:
        return {m.member_id: m for m in self.members}

    @property
    def top_star(self) -> int:
        return max((b.stars for b in self.bands), default=0)
