"""Problems are data: one record per thing wrong in a user's file, collected into a report.

Every code lives in one catalogue (``Code``) with a topic prefix and a Chinese message template
that a branch secretary can act on. Tests assert codes and locations, never the wording.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class CannotRun(Exception):
    """The run cannot go on (a missing file, a disk that cannot be written): nothing was changed.

    The message is Chinese and says what to fix; the CLI prints it and exits 2.
    """


class Severity(str, Enum):
    ERROR = "错误"  # the data is not used
    WARNING = "提示"  # the data is used; someone should look


class Code(Enum):
    """(severity, Chinese message template). Templates may use {found} and {expected}."""

    # -- the scheme workbook --
    SCHEME_SHEET_MISSING = (Severity.ERROR, "方案缺少工作表“{expected}”")
    SCHEME_COLUMN_MISSING = (Severity.ERROR, "工作表缺少列“{expected}”")
    SCHEME_SETTING_MISSING = (Severity.ERROR, "设置项“{expected}”未填写")
    SCHEME_VALUE_INVALID = (Severity.ERROR, "取值“{found}”无效，应为{expected}")
    SCHEME_WEIGHTS_NOT_100 = (Severity.ERROR, "{expected}的各评价主体权重合计为{found}%，应为100%")
    SCHEME_BANDS_GAP = (Severity.ERROR, "星级分数段不连续：{found}，应无缝覆盖{expected}")
    SCHEME_BANDS_OVERLAP = (Severity.ERROR, "星级分数段重叠：{found}")
    SCHEME_ITEM_MAX_INVALID = (Severity.ERROR, "项目满分“{found}”无效，应为正整数")
    SCHEME_ITEM_CODE_DUPLICATE = (Severity.ERROR, "项目编号“{found}”重复")
    SCHEME_MEMBER_BRANCH_UNKNOWN = (Severity.ERROR, "党员所在支部“{found}”不在支部表中")
    SCHEME_BRANCH_DUPLICATE = (Severity.ERROR, "支部名称“{found}”重复或为空")
    SCHEME_MEMBER_ID_DUPLICATE = (Severity.ERROR, "党员编号“{found}”重复")
    SCHEME_GROUP_UNKNOWN = (Severity.ERROR, "评价主体“{found}”无效，应为{expected}")
    SCHEME_BRANCH_TOO_SMALL = (Severity.WARNING, "支部“{found}”党员不足2人，无法互评")
    SCHEME_BRANCH_NO_LEADER = (Severity.ERROR, "支部“{found}”未填写领导点评人")
    SCHEME_NAME_NOT_A_NAME = (Severity.ERROR, "名称“{found}”只有点或空格，不能作为文件夹或文件名，请填写实际名称")
    SCHEME_NAME_UNSAFE_FILE = (Severity.WARNING, "名称“{found}”不能直接作为文件名，测评表文件将命名为“{expected}”")
    SCHEME_NOTICE_TOO_SHORT = (Severity.ERROR, "公示结束日期{found}距公示开始不足{expected}，公示期不少于{expected}")

    # -- a returned file as a whole --
    RETURN_NOT_A_FORM = (Severity.ERROR, "不是本系统生成的测评表（找不到表单标识）")
    RETURN_UNREADABLE = (Severity.ERROR, "文件无法打开：{found}。请用Excel或WPS“另存为”.xlsx后重新发送")
    RETURN_UNSUPPORTED_FORMAT = (Severity.ERROR, "不支持的文件格式“{found}”，请另存为.xlsx")
    RETURN_ENCRYPTED = (Severity.ERROR, "文件设置了打开密码，请取消密码后重新发送")
    RETURN_TOO_LARGE = (Severity.ERROR, "文件过大或结构异常（{found}），已拒收以保护系统")
    RETURN_SIGNATURE_INVALID = (Severity.ERROR, "表单标识被改动，签名校验失败，请使用原始测评表")
    RETURN_WRONG_PERIOD = (Severity.ERROR, "测评表属于{found}，本次为{expected}")
    RETURN_WRONG_SCHEME = (Severity.ERROR, "测评表为旧版（{found}），发放后测评项目或评分规则有修改，本表不能计分；请改用新版（{expected}）重新填写")
    RETURN_OLD_VERSION_USED = (Severity.WARNING, "旧版测评表（{found}）：{expected}")
    RETURN_OLD_VERSION_REPLACED = (Severity.WARNING, "旧版测评表已由新版替代（{found}）")
    RETURN_FORM_WITHDRAWN = (Severity.ERROR, "该测评表已作废（{found}），不再计分，无需重交")
    RETURN_LAYOUT_CHANGED = (Severity.ERROR, "测评表结构被改动：{found}，应为{expected}")
    RETURN_ROWS_CHANGED = (Severity.ERROR, "被评人名单被改动：{found}，应为{expected}")
    RETURN_IDENTITY_STRIPPED = (Severity.WARNING, "隐藏标识已丢失，已按表单编号和版式识别")
    RETURN_DUPLICATE = (Severity.WARNING, "同一测评表重复提交且内容相同，只计一次（{found}）")
    RETURN_SUPERSEDED = (Severity.WARNING, "同一测评表提交了不同内容，以较晚保存的版本为准（被替代：{found}）")
    RETURN_CODE_UNKNOWN = (Severity.ERROR, "表单编号“{found}”不属于本次测评（隐藏标识已丢失，无法按编号识别）")
    RETURN_SELF_RATED = (Severity.ERROR, "互评表中出现了评价人本人（{found}），互评不能给自己打分")
    RETURN_EMPTY = (Severity.ERROR, "测评表中没有可以计分的行（{found}），请改正后重新发送")
    RETURN_VOID_BALLOT = (Severity.ERROR, "废票：{found}，按方案的废票规则不计分（表单{expected}，已计入回收）")
    RETURN_KEY_MISMATCH = (Severity.ERROR, "{found}份测评表的签名全部校验失败：方案旁的xlflag.key与签发这些测评表时所用的密钥不一致。"
                                           "请找回发放测评表时的xlflag.key放回方案文件夹后重新运行")
    RETURN_VOIDED = (Severity.WARNING, "已作废，不计入：{found}")
    RETURN_SENT_BACK = (Severity.WARNING, "已退回评价人修改，不计入：{found}")
    RETURN_AMBIGUOUS = (Severity.ERROR, "同一测评表出现两次且分数不同（{found}），无法确定以哪份为准，请只保留一份后重新发送")
    RETURN_LINK_OUTSIDE = (Severity.ERROR, "这是指向回收文件夹之外的链接（{found}），未读取也未存档；请把文件本身放进回收文件夹")
    RETURN_LINK_BROKEN = (Severity.ERROR, "链接无效（{found}），请把文件本身放进回收文件夹")
    RETURN_NOT_A_FILE = (Severity.ERROR, "不是普通文件（{found}），未读取；请把测评表文件本身放进回收文件夹")
    RETURN_FOLDER_UNREADABLE = (Severity.ERROR, "文件夹无法读取（{found}），其中的文件未读取；请检查权限或把文件移到回收文件夹中较浅的位置")
    RETURN_NAME_RECOVERED = (Severity.WARNING, "文件名不是UTF-8编码（多见于中文Windows制作的压缩包），已按{expected}识别为“{found}”")
    ARCHIVE_NO_SPREADSHEET = (Severity.WARNING, "压缩包或附件中没有电子表格")

    # -- saved e-mail (.eml, mbox, maildir) --
    MAIL_UNREADABLE = (Severity.ERROR, "邮件无法读取：{found}")
    MAIL_ATTACHMENT_DAMAGED = (Severity.ERROR, "邮件附件不完整：{found}，请发件人重新发送")
    MAIL_NO_SPREADSHEET = (Severity.WARNING, "邮件中没有电子表格附件")

    # -- one score cell --
    SCORE_BLANK = (Severity.ERROR, "有未填写的项目，该被评人本表不计分")
    SCORE_NOT_A_NUMBER = (Severity.ERROR, "“{found}”不是分数，应为{expected}")
    SCORE_OUT_OF_RANGE = (Severity.ERROR, "分数{found}超出范围，应为{expected}")
    SCORE_NOT_WHOLE = (Severity.ERROR, "分数{found}不是整数，应为{expected}")
    SCORE_FORMULA = (Severity.ERROR, "单元格填写了公式“{found}”，请直接填写分数")
    SCORE_ERROR_VALUE = (Severity.ERROR, "单元格为错误值{found}，应为{expected}")
    SCORE_ANSWER_INVALID = (Severity.ERROR, "满意度“{found}”无效，应为{expected}之一")
    SCORE_NORMALISED = (Severity.WARNING, "“{found}”已按{expected}分计入")
    SCORE_BLANK_AS_ZERO = (Severity.WARNING, "有未填写的项目（{found}），按方案的空白处理规则计0分")

    # -- consolidation --
    RESULT_GROUP_MISSING = (Severity.WARNING, "缺少“{found}”的有效评分，综合得分暂不计算")

    # -- the 调整 sheet: adjustments and appeals (each problem: the row is not applied) --
    ADJUST_TARGET_UNKNOWN = (Severity.ERROR, "调整对象“{found}”不是{expected}，本条未执行")
    ADJUST_KIND_UNKNOWN = (Severity.ERROR, "调整类型“{found}”无效，应为{expected}，本条未执行")
    ADJUST_FIELD_MISSING = (Severity.ERROR, "调整未填写“{expected}”，每条调整须写明理由和批准人，本条未执行")
    ADJUST_VALUE_INVALID = (Severity.ERROR, "新值“{found}”无效，应为{expected}，本条未执行")
    ADJUST_NOT_APPLICABLE = (Severity.ERROR, "{found}，无法{expected}，本条未执行")
    ADJUST_CONFLICT = (Severity.ERROR, "与{found}调整同一对象的同一结果，相互矛盾，均未执行；请合并为一条")

    # -- the archive (星级党员档案) and its history workbook --
    ARCHIVE_SHEET_MISSING = (Severity.ERROR, "历史成绩工作簿缺少工作表“{expected}”，请使用导入模板")
    ARCHIVE_COLUMN_MISSING = (Severity.ERROR, "工作表缺少列“{expected}”，请按导入模板的表头填写")
    ARCHIVE_VALUE_INVALID = (Severity.ERROR, "历史成绩的取值“{found}”无效，应为{expected}")
    ARCHIVE_PERIOD_UNKNOWN = (Severity.ERROR, "期次“{found}”不在“期次”表中，请先在“期次”表登记")
    ARCHIVE_DUPLICATE = (Severity.ERROR, "“{found}”在同一期次中重复出现")
    ARCHIVE_TARGET_UNKNOWN = (Severity.ERROR, "“{found}”不是该期次{expected}")
    ARCHIVE_PERIOD_COMMITTED = (Severity.ERROR, "期次“{found}”已在档案中（第{expected}版）；确需更正请加 --replace，原版本仍保留")

    @property
    def severity(self) -> Severity:
        return self.value[0]

    @property
    def template(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where it is, what was found and what is expected."""

    code: Code
    file: str = ""
    sheet: str = ""
    cell: str = ""
    found: str = ""
    expected: str = ""

    @property
    def severity(self) -> Severity:
        return self.code.severity

    @property
    def message(self) -> str:
        return self.code.template.format(found=self.found, expected=self.expected)

    def as_row(self) -> dict[str, str]:
        """The columns a 问题清单 shows."""
        return {
            "代码": self.code.name,
            "级别": self.severity.value,
            "文件": self.file,
            "工作表": self.sheet,
            "单元格": self.cell,
            "发现": self.found,
            "应为": self.expected,
            "说明": self.message,
        }


@dataclass
class Report:
    """Problems collected over a run; valid when none is an error."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [p.code.name for p in self.problems]
