"""The scheme's key/value rule sheets: 授旗规则 (how the flag is awarded) and 党员之星 (S4's
quota star). Every bad value is reported at its 值 cell; a usable default stands in for it."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..core.model import (
    MEMBER_TARGET,
    SATISFACTION,
    FlagRules,
    Item,
    QuotaStar,
    RaterGroup,
)
from ..core.problems import Code, Problem, Report
from .tables import names, share

FLAG_RULES = "授旗规则"
QUOTA_STAR = "党员之星"


def tie_clauses(text: str) -> list[str]:
    """"群众反映好小计高者优先；满意率高者优先" → ["群众反映好小计", "满意率"]."""
    clauses = text.replace(";", "；").replace("，", "；").replace(",", "；").split("；")
    return [c.strip().removesuffix("优先").removesuffix("高者").removesuffix("较高").strip() for c in clauses if c.strip()]


class RulesParser:
    """The key/value rule sheets: 授旗规则 and 党员之星."""

    def __init__(self, file: str, report: Report):
        self.file, self.report = file, report

    def problem(self, sheet, row, found, expected):
        self.report.add(Problem(Code.SCHEME_VALUE_INVALID, self.file, sheet, f"B{row}", found, expected))

    def whole(self, kv, sheet, key, default=None) -> int | None:
        row, text = kv.get(key, (0, ""))
        if not text:
            return default
        if not text.isdigit() or int(text) <= 0:
            self.problem(sheet, row, text, "正整数")
            return default
        return int(text)

    def flag(self, kv, items: tuple[Item, ...]) -> FlagRules | None:
        if kv is None:
            return None
        row, set_name = kv.get("指标体系", (0, ""))
        categories = {i.category for i in items if i.set_name == set_name}
        if not categories:
            self.problem(FLAG_RULES, row, set_name, "测评项目中的支部指标体系，如五好支部")
            return None
        rules = FlagRules(set_name, flag_name=kv.get("旗名", (0, ""))[1] or "流动红旗", quota=self.whole(kv, FLAG_RULES, "名额"))
        row, text = kv.get("最低分", (0, ""))
        minimum = None
        if text:
            try:
                minimum = Fraction(text)
            except ValueError:
                self.problem(FLAG_RULES, row, text, "0至100的分数")
        row, text = kv.get("满意率下限", (0, ""))
        floor = share(text) if text else None
        if text and floor is None:
            self.problem(FLAG_RULES, row, text, "0至1之间的比例，如0.85或85%")
        answers = names(kv.get("评价答案", (0, ""))[1]) or rules.answers
        satisfied = names(kv.get("满意答案", (0, ""))[1]) or rules.satisfied
        row, text = kv.get("满意答案", (0, ""))
        if not set(satisfied) <= set(answers):
            self.problem(FLAG_RULES, row, text, "、".join(answers) + "中的若干项")
        ties = []
        row, text = kv.get("并列规则", (0, ""))
        for clause in tie_clauses(text):
            key = SATISFACTION if clause == SATISFACTION else clause.removesuffix("小计")
            if key != SATISFACTION and key not in categories:
                self.problem(FLAG_RULES, row, clause, "“某类别小计”或“满意率”，类别须在" + set_name + "中")
                continue
            ties.append(key)
        leaders = names(kv.get("点评领导", (0, ""))[1])
        superior = kv.get("上级组织", (0, ""))[1] or rules.superior
        return replace(rules, minimum=minimum, satisfaction_floor=floor, answers=answers, satisfied=satisfied,
                       tie_break=tuple(ties), leaders=leaders, superior=superior)

    def quota_star(self, kv, groups: tuple[RaterGroup, ...]) -> QuotaStar | None:
        if kv is None:
            return None
        quota = self.whole(kv, QUOTA_STAR, "名额")
        if quota is None:
            return None
        group_names = {g.name for g in groups if g.target == MEMBER_TARGET}
        ties = []
        row, text = kv.get("并列规则", (0, ""))
        for clause in tie_clauses(text):
            name = clause.removesuffix("平均分")
            if name not in group_names:
                self.problem(QUOTA_STAR, row, clause, "“某评价主体平均分”，如群众参评平均分")
                continue
            ties.append(name)
        return QuotaStar(kv.get("名称", (0, ""))[1] or QUOTA_STAR, quota, tuple(ties))
