"""What the 公示 says (S2, S3, S5: results posted at least 3 days, then 上级审查备案). Pure.

Built from the final results (after the 调整 rows): the title, the notice text, a table of star
levels (and scores, when the scheme's 公示内容 says 星级和得分), named stars, the flag winner and
党员之星, the 公示期, where and how to appeal, and the sign-off. Nothing in it shows who rated
whom. While forms are still out (and not waived) it is a draft and says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .adjustments import Adjusted
from .model import Scheme

DRAFT = "草稿（回收未完成）"
BLANK_DATE = "    年  月  日"
LEVEL_NAMES = {0: "无星级", 1: "一星级", 2: "二星级", 3: "三星级", 4: "四星级", 5: "五星级"}


@dataclass(frozen=True)
class Notice:
    title: str
    draft: bool
    intro: str
    headers: tuple[str, ...]
    rows: list[tuple]  # one per member listed: 序号 first
    awards: list[str]  # one line per award: the flag, 党员之星
    period: str  # the 公示期 line
    appeal: str
    organisation: str
    signed: str  # the sign-off date, as printed


def date_text(day: date | None) -> str:
    """2026-12-01 → 2026年12月1日 (公文 style: no leading zeros); blanks to fill in by hand."""
    return f"{day.year}年{day.month}月{day.day}日" if day else BLANK_DATE


def level_text(stars: int | None) -> str:
    return "暂缺" if stars is None else LEVEL_NAMES.get(stars, f"{stars}星级")


def build_notice(scheme: Scheme, adjusted: Adjusted, outstanding: int = 0) -> Notice:
    """``outstanding``: forms neither accepted nor waived; any makes the notice a draft."""
    s = scheme.settings
    with_levels, with_named = bool(scheme.bands), bool(scheme.model_stars)
    headers = ("序号", "支部", "姓名")
    headers += (("星级",) if with_levels else ()) + (("综合得分",) if s.publish_scores else ())
    headers += ("所获星名",) if with_named else ()
    rows = []
    for outcome in adjusted.members:
        model = tuple(n for n in outcome.named if any(m.name == n for m in scheme.model_stars))
        if not with_levels and not model:
            continue  # named stars only (S3, S5): list those who earned one
        m, total = outcome.result.member, outcome.result.total
        row = (len(rows) + 1, m.branch, m.name)
        row += ((level_text(outcome.stars),) if with_levels else ())
        row += ((("暂缺" if total is None else f"{total:.2f}"),) if s.publish_scores else ())
        rows.append(row + (("、".join(model),) if with_named else ()))
    groups = "、".join(g.name for g in scheme.member_groups)
    what = "党员星级评定" if with_levels else "模范星评定"
    if scheme.flag:
        what = f"“{scheme.flag.flag_name}”评比和{what}"
    intro = (f"根据{s.organisation}{s.period_label}授旗评星工作安排，经{groups}和支部评定，{what}结果已经产生，"
             f"现予以公示。")
    if not rows:
        intro += "本期无人获评。"
    days = s.notice_days
    period = f"公示期：{date_text(s.notice_start)}至{date_text(s.notice_end)}（不少于{days}天）。"
    channel = s.appeal or f"以书面或当面方式向{s.organisation}反映"
    appeal = f"公示期间，如有异议，请{channel.rstrip('。')}。反映情况应实事求是，署真实姓名。"
    return Notice(
        title=f"{s.organisation}{s.period_label}授旗评星结果公示",
        draft=outstanding > 0,
        intro=intro,
        headers=headers,
        rows=rows,
        awards=_award_lines(scheme, adjusted),
        period=period,
        appeal=appeal,
        organisation=s.organisation,
        signed=date_text(s.notice_start),
    )


def _award_lines(scheme: Scheme, adjusted: Adjusted) -> list[str]:
    lines = []
    if scheme.flag:
        winners = adjusted.flag_winners()
        lines.append(f"{scheme.flag.flag_name}：{'、'.join(winners) if winners else '本期空缺'}。")
    if scheme.quota_star:
        name = scheme.quota_star.name
        chosen = [f"{o.result.member.name}（{o.result.member.branch}）" for o in adjusted.members if name in o.named]
        lines.append(f"{name}（{len(chosen)}名）：{'、'.join(chosen) if chosen else '本期空缺'}。")
    return lines
