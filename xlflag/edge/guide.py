"""The message table of docs/使用说明.md, generated from the problem catalogue (core/problems.py).

``python -m xlflag.edge.guide`` rewrites the part of the guide between the two markers; a test
checks that the committed guide holds exactly this table, so every Code is documented.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..core.problems import Code, Severity

START, END = "<!-- 提示代码表：开始（python -m xlflag.edge.guide 生成） -->", "<!-- 提示代码表：结束 -->"

# What to do, by topic prefix; a code listed in ADVICE says more.
BY_PREFIX = {
    "SCHEME_": "打开方案工作簿，到提示所指的工作表和单元格改正，保存后再运行 xlflag check。",
    "RETURN_": "按提示请评价人处理后重新发送；若是办公室整理文件时造成的，改正后重新运行汇总。",
    "ARCHIVE_": "确认压缩包里是否确实有测评表；没有的可以忽略。",
    "MAIL_": "请发件人把测评表作为附件重新发送。",
    "SCORE_": "请评价人在提示所指的单元格改正后重新发送；该被评人在本表的分数暂不计入。",
    "RESULT_": "催收该评价主体的测评表，收齐后重新汇总。",
    "ADJUST_": "到方案的“调整”工作表改正这一行，重新汇总。",
}
ADVICE = {
    Code.SCHEME_BRANCH_TOO_SMALL: "只有1名党员的支部没有互评，其他评价照常进行；如属名册错误请改正。",
    Code.SCHEME_NAME_UNSAFE_FILE: "无需处理：测评表文件将用提示中的名称；也可以把名称改得简单些。",
    Code.RETURN_NOT_A_FORM: "不是测评表的文件（通知、照片等）只记入文件清单，不影响汇总。",
    Code.RETURN_SIGNATURE_INVALID: "请评价人使用办公室发出的原始文件重新填写。",
    Code.RETURN_WRONG_PERIOD: "评价人交回了别的期次的表：请发给他本期的测评表。",
    Code.RETURN_WRONG_SCHEME: "方案在发表后改动过：请用当前方案重新生成并发出测评表，或恢复原方案。",
    Code.RETURN_IDENTITY_STRIPPED: "已正常计分，无需处理；提示只说明该文件曾被复制粘贴或另存。",
    Code.RETURN_DUPLICATE: "无需处理，重复的文件只计一次。",
    Code.RETURN_SUPERSEDED: "无需处理，以较晚保存的一份为准；如不对，请删除回收文件夹中不该计入的那份。",
    Code.RETURN_EMPTY: "评价人交回了空表或每行都不完整：请他填写完整后重新发送。",
    Code.RETURN_NAME_RECOVERED: "无需处理，文件名已自动识别。",
    Code.MAIL_NO_SPREADSHEET: "这封邮件没有测评表附件，可以忽略。",
    Code.SCORE_NORMALISED: "无需处理：“5分”、全角数字等已按分数计入。",
    Code.SCORE_BLANK_AS_ZERO: "按方案“空白处理”计0分；如不应为0，请评价人补填后重新发送。",
    Code.RESULT_GROUP_MISSING: "收齐该评价主体的测评表后重新汇总；也可在方案中调整评价人数门槛。",
}


def _template(code: Code) -> str:
    return code.template.replace("{found}", "〈实际内容〉").replace("{expected}", "〈应有内容〉").replace("|", "｜")


def _advice(code: Code) -> str:
    if code in ADVICE:
        return ADVICE[code]
    return next((text for prefix, text in BY_PREFIX.items() if code.name.startswith(prefix)), "")


def message_table() -> str:
    """The markdown table: one row per Code, in catalogue order."""
    rows = ["| 代码 | 级别 | 提示内容 | 怎么办 |", "|---|---|---|---|"]
    for code in Code:
        level = "错误（不计入）" if code.severity is Severity.ERROR else "提示（已计入或可忽略）"
        rows.append(f"| `{code.name}` | {level} | {_template(code)} | {_advice(code)} |")
    return "\n".join(rows)


def with_table(guide: str) -> str:
    """The guide text with the part between the markers replaced by the current table."""
    head, _, rest = guide.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{message_table()}\n{END}{tail}"


def main(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(with_table(text), encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "使用说明.md")
