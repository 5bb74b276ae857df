"""The sheets of an archive workbook: the export writes them, the import template is the same
layout with no rows, and the importer reads them back. One source for every column (pure)."""
from __future__ import annotations

PERIODS, MEMBERS, MEANS, BRANCHES, PARTICIPATION, ADJUSTMENTS = "期次", "党员", "各组平均分", "支部", "回收", "调整"

# sheet → (columns, columns the import requires). Header on row 1, one record per row.
SHEETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PERIODS: (("期次", "组织名称", "周期", "旗名", "表彰最低星级", "来源", "版本", "存档时间"), ("期次", "组织名称")),
    MEMBERS: (("期次", "编号", "姓名", "支部", "综合得分", "评定星级", "最终星级", "模范星", "党员之星"),
              ("期次", "编号", "姓名", "支部", "最终星级")),
    MEANS: (("期次", "编号", "评价主体", "人数", "平均分"), ("期次", "编号", "评价主体", "平均分")),
    BRANCHES: (("期次", "支部", "综合得分", "名次", "评定授旗", "授旗", "满意率", "说明"), ("期次", "支部", "授旗")),
    PARTICIPATION: (("期次", "支部", "评价主体", "应收", "已交", "已采用"), ("期次", "支部", "评价主体", "应收", "已交")),
    ADJUSTMENTS: (("期次", "对象", "类型", "调整项", "调整前", "调整后", "理由", "批准人", "日期"), ("期次", "对象", "类型", "理由")),
}
REQUIRED_SHEETS = (PERIODS, MEMBERS)
WIDTHS = {"期次": 10, "编号": 10, "姓名": 10, "支部": 16, "组织名称": 24, "说明": 30, "理由": 30, "模范星": 24,
          "存档时间": 22, "评价主体": 12}

TEMPLATE_NOTE = (
    "历史成绩导入模板：每张表第1行为表头，自第2行起每行一条记录。“期次”与“党员”两表必填，其余可留空。"
    "期次写作2025Q3（季度）或2025H2（半年）；星级填整数；党员之星填“是”或留空；模范星多个时用“、”分隔。"
    "“最终星级”“授旗”为调整后的结果，“评定星级”“评定授旗”为按分数评定的结果（留空即与调整后相同）。"
    "调整类型为增星、摘星、降级、撤旗、更正之一，撤旗的对象填支部名称，其余填党员编号；调整项为星级、流动红旗或星名"
    "（留空：撤旗为流动红旗，其余为星级）。同一党员跨期以编号为准，换支部、改名不影响。"
)
