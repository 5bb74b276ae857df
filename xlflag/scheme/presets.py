"""Ready-made schemes for the five source plans (S1..S5), as the rows of a scheme workbook.

Pure data: each preset maps a sheet name to its rows (tuples, header first), exactly what a
clerk would see and edit in the workbook. The 支部 and 党员名册 sheets are not part of a
preset; the roster is the clerk's. No Excel here.

Sources, in the order of shared/seeds/000_af7e1e363d289ff8.txt:
  s1 丽江市古城区统计局党支部 (half-year; 流动红旗 + star levels)
  s2 质检中心党支部 (quarter; star levels from a weighted 100-point score)
  s3 XX区XX局 (quarter; one XX先锋旗; named model stars for agency / enterprise members)
  s4 富民县 county speech (quarter; 31 flags of 387 organisations; 34 党员之星)
  s5 华坪县气象局党支部 (half-year; 建设先锋旗; five named stars)

Item texts marked "verbatim" are copied from the plan (the seed's half-width punctuation
kept, page-break markers removed, the trailing "(n分)" dropped). Texts marked "derived" are
written here from the plan's own wording because the plan gives no itemised standard.
"""
from __future__ import annotations

import copy

# -- sheet names and headers (the scheme workbook's columns) --

SETTINGS = "设置"
CRITERIA = "测评项目"
GROUPS = "评价主体"
BANDS = "星级标准"
MODEL_STARS = "模范星"
FLAG_RULES = "授旗规则"
MEMBER_STARS = "党员之星"
ADJUSTMENTS = "调整"

KV_HEADER = ("项目", "值")
HEADERS = {
    SETTINGS: KV_HEADER,
    CRITERIA: ("指标体系", "类别", "项目编号", "项目内容", "满分"),
    GROUPS: ("对象", "代码", "名称", "权重", "评价人", "人数"),
    BANDS: ("星级", "下限", "上限"),
    MODEL_STARS: ("星名", "指标体系", "类别", "门槛"),
    FLAG_RULES: KV_HEADER,
    MEMBER_STARS: KV_HEADER,
    ADJUSTMENTS: ("对象", "类型", "新值", "理由", "批准人", "日期", "所答申诉"),
}

FLAG_SET = "五好支部"
MODEL_STAR_THRESHOLD = 0.9  # share of the category maximum (DOMAIN: default 90 %)
REPS_PER_MEMBER_GROUP = 5  # S2: "由5个职工代表"
REPS_PER_FLAG_GROUP = 10  # no plan says; enough questionnaires for a 满意率 to mean something
SATISFIED_ANSWERS = "满意、基本满意"
FLAG_TIE_RULE = "群众反映好小计高者优先；满意率高者优先"


def _criteria(set_name: str, categories: list[tuple[str, list[tuple[str, int]]]]) -> list[tuple]:
    """Rows of one criteria set; item codes "1.1", "1.2" … by category and position.

    Codes only need to be unique within a set (scheme.py keys items by (set, code)).
    """
    rows = []
    for c, (category, items) in enumerate(categories, start=1):
        for i, (text, maximum) in enumerate(items, start=1):
            rows.append((set_name, category, f"{c}.{i}", text, maximum))
    return rows


def _each(points: int, *texts: str) -> list[tuple[str, int]]:
    return [(t, points) for t in texts]


# -- star levels (S2, verbatim bands; reused by S1 and S4) --
# 下限 inclusive, 上限 exclusive; the top band's 上限 100 is inclusive (a full score is 5★).
# S2 says 1★ is "不得低于60分" while 2★ is 60-70: read as a slip for "below 60" (DOMAIN).
STAR_BANDS = [
    HEADERS[BANDS],
    (1, 0, 60),
    (2, 60, 70),
    (3, 70, 80),
    (4, 80, 90),
    (5, 90, 100),
]


# -- rater groups --
# Member groups: S2's weights verbatim (自评20% 互评30% 领导点评20% 职工参评30%). The other
# plans name the same four steps without weights, so they take S2's. Only the staff group's
# name follows each plan's wording (职工参评 / 职工群众参评 / 群众参评).
# Codes: D = 党员 (member evaluation), Z = 支部 (flag evaluation), then a pinyin initial.
def _member_groups(staff_name: str) -> list[tuple]:
    return [
        ("党员", "DZ", "自评", 20, "本人", None),
        ("党员", "DH", "互评", 30, "本支部其他党员", None),
        ("党员", "DL", "领导点评", 20, "领导", None),
        ("党员", "DQ", staff_name, 30, "代表", REPS_PER_MEMBER_GROUP),
    ]


# Flag groups follow S1/S3's procedure (支部自评 → 邀请领导点评 → 听取群众意见 →
# 上级/党总支综合评定). No plan gives weights: chosen here to mirror S2's member split —
# the organisation's own view 20, leaders 20, the masses 30 (S1: "群众评议是保障"), the
# superior's overall review 30 (it sees every branch side by side).
FLAG_GROUPS = [
    ("支部", "ZZ", "支部自评", 20, "支部", None),
    ("支部", "ZL", "领导点评", 20, "领导", None),
    ("支部", "ZQ", "群众意见", 30, "代表", REPS_PER_FLAG_GROUP),
    ("支部", "ZS", "上级综合评定", 30, "上级", None),
]


def _groups(staff_name: str, with_flag: bool) -> list[tuple]:
    rows = [HEADERS[GROUPS], *_member_groups(staff_name)]
    return rows + (FLAG_GROUPS if with_flag else [])


def _settings(organisation, period, cycle, outstanding, note) -> list[tuple]:
    return [
        KV_HEADER,
        ("组织名称", organisation),
        ("期次", period),
        ("周期", cycle),
        ("五星需突出表现", outstanding),
        ("计分步长", "1"),
        ("空白处理", "整行不计"),
        ("方案说明", note),
        ("评价人数门槛", "3"),  # a group's mean shows only from 3 raters (issue 10)
        ("不足门槛时", "按其余评价主体折算"),
        ("公示内容", "星级"),
        ("公示天数", 3),
        ("公示开始", None),
        ("公示结束", None),
        ("申诉方式", None),
        ("免收表单", None),
        ("星级名额", None),
        ("星级名额并列规则", None),
        ("废票规则", None),
        ("去掉最高最低分", None),
    ]


def _flag_rules(quota, flag_name, satisfaction_floor=None, minimum=None) -> list[tuple]:
    return [
        KV_HEADER,
        ("指标体系", FLAG_SET),
        ("名额", quota),
        ("最低分", minimum),
        ("满意率下限", satisfaction_floor),
        ("满意答案", SATISFIED_ANSWERS),
        ("并列规则", FLAG_TIE_RULE),
        ("旗名", flag_name),
    ]


def _model_stars(stars: list[tuple[str, str, str]]) -> list[tuple]:
    return [HEADERS[MODEL_STARS], *[(s, set_name, c, MODEL_STAR_THRESHOLD) for s, set_name, c in stars]]


# ============================================================================================
# Criteria sets
# ============================================================================================

# S2 党员: verbatim, 5 categories × 4 items × 5 points (考核标准).
S2_MEMBER = _criteria("党员", [
    ("带头学习提高", _each(5,
        "积极参加党支部组织的各项学习活动,自学意识强,认真撰写心得体会文章,做到学有所获。",
        "注重联系工作实际,把学习成果运用到工作中,积极帮助所指导的班主任、年轻教师或学困生提高思想认识。",
        "在学习形式、方法和内容等方面积极向支部提建议或意见,为支部创建学习型党组织作贡献。",
        "积极向党员宣传党建方面的理论和交流学习体会。",
    )),
    ("带头争创佳绩", _each(5,
        "责任意识强,对本职工作尽职尽责,得到肯定。",
        "行动意识强,对安排布置的任务、员工反映的问题、广大党员提出的建议,主动及时解决,抓好落实。",
        "创新意识强,能对教学或管理工作提出新思路、新观点,勇于尝试新方式、新举措。",
        "改进意识强,针对问题不回避、不找借口,分析原因认真整改。",
    )),
    ("带头服务员工", _each(5,
        "认真落实密切联系群众要求,把员工的满意度作为检验创先争优活动成效的重要标准。",
        "改进工作作风、强化工作效能,不断提高服务员工的质量和水平。",
        "以学习型党支部建设为载体,着力提升服务员工的能力。",
        "主动为帮扶对象解决困难或问题,服务成效明显。",
    )),
    ("带头遵纪守法", _each(5,
        "按照《党章》要求,认真履行党员义务",
        "严格遵守各项规章制度,无违纪违规情况",
        "带头遵守党风廉政建设的各项规定,切实做好《廉政准则》学习和贯彻工作。",
        "在日常工作中加强作风建设,牢固树立自律意识。",
    )),
    ("带头弘扬正气", _each(5,
        "明确“八荣八耻”,树立正确的世界观、人生观和价值观",
        "自觉加强职业道德和勤政廉政学习教育,自觉遵守行为礼仪规范",
        "提倡勤俭节约,力戒铺张浪费",
        "尊重领导,团结同事,工作氛围好,口碑好。",
    )),
])

# S3 五好支部 (XXXXXX先锋旗评定标准): verbatim, 领导班子好 5×4, 党员队伍好 5×4,
# 工作机制好 5×4, 工作业绩好 6 items (3,3,3,4,3,4), 群众反映好 5×4 = 100.
S3_FLAG = _criteria(FLAG_SET, [
    ("领导班子好", _each(4,
        "深入开展学习实践邓小平理论、“三个代表”重要思想、科学发展观、十七大精神、十七届五中全会精神、区委三届七次全会精神和党章活动,坚决贯彻执行党的基本路线及上级各项方针政策,同时,把党员的经常性教育落到实处,党组织每年组织每个党员参加集中教育活动累计不少于6天。",
        "班子健全、结构合理、坚持民主集中制,重大问题集体讨论,团结干事,充分发挥领导核心作用,具有较强的凝聚力和战斗力。",
        "班子成员自觉践行“个人形象一面旗、工作热情一团火、谋事布局一盘棋”的要求,奋发有为,勤政廉洁,无违纪违法现象。",
        "班子主要负责人带头抓创先争优活动,班子成员各负其责抓好落实。",
        "能坚持原则,协调关系,有效化解各类矛盾纠纷,维护社会稳定。",
    )),
    ("党员队伍好", _each(4,
        "发展党员有规划、有措施、有落实,党员素质优良,党员队伍有活力,党员发展管理教育成效明显。",
        "党员党性意识强,理想信念坚定,宗旨观念牢固,在工作、学习、生活中发挥先锋模范和骨干带头作用。",
        "党员做到“五带头”,主动参加党组织的活动,带头完成各项工作,充分体现党员先进性,在群众中威信高。",
        "党员廉洁自律,从严要求自己,处处率先垂范。",
        "保障党员权利,关心爱护党员,党员队伍有凝聚力。",
    )),
    ("工作机制好", _each(4,
        "建立健全党组织工作制度和党员教育、管理、监督制度,有完善的工作运行机制和配套措施。",
        "始终坚持“三会一课”制度、民主评议党员制度、党组织和党员目标管理制度。有党员活动场所、电教设施齐全,并积极组织党员开展活动。",
        "推行党员公开承诺制度,开展群众评议党组织、群众评议党员活动,接受群众监督。",
        "建立健全创先争优活动创建、评比、表彰制度。",
        "建立完善一批关系民生的帮扶机制和保障机制,帮助群众解决实际困难。",
    )),
    ("工作业绩好", [
        ("认真完成XX各项经济发展指标,成效明显。", 3),
        ("各企业支部依法经营,诚实守信,无造假售假、偷税漏税情况发生。企业发展各项指标较上年有增长,职工收入稳步增长,医疗、养老保险等权益得到有效保障。", 3),
        ("服务企业、服务群众体系健全,能及时解决群众反映的热点难点问题,关系民生的工作成效显著。", 3),
        ("创先争优活动扎实有效,基层组织建设得到加强,党建工作与经济发展中心工作统筹兼顾,有机结合,相互促进。", 4),
        ("积极参与上级政府组织的各项社会活动,在回馈社会、扶贫帮困等社会事业中表现突出,同时,在应对各种突发事件中,行动迅速、服从上级领导,成效显著的。", 3),
        ("没有集体性群众上访和群体性事件发生,治安良好,社会和谐稳定。年内无重大安全事故发生。", 4),
    ]),
    ("群众反映好", _each(4,
        "模范执行党的群众路线,团结群众、尊重群众,重大决策符合实际,赢得群众理解和支持。",
        "党组织班子成员工作作风务实,能深入基层排忧解难,工作实绩得到群众肯定和认可。",
        "认真倾听群众呼声,及时反映群众意愿,主动关心群众疾苦,为职工解难题出重拳,为职工办实事下实招,党员在群众中有良好形象,党群干群关系密切。",
        "积极开展送温暖和帮困活动。",
        "群众满意率达85%以上。",
    )),
])

# S3 机关党员 (XXXX模范星评定标准 一至五): item texts verbatim. The plan gives no points:
# 4 items × 5 per star category, so each category is 20 and a model star needs 18.
S3_AGENCY = _criteria("机关党员", [
    ("学习", _each(5,
        "带头学习实践科学发展观和科学文化知识,落实党的路线方针政策。",
        "带头学习业务知识,不断更新和完善知识结构,提高业务水平,成为业务骨干和本职工作行家里手。",
        "带头参加创先争优活动和学习型党组织创建,落实学习型党组织建设任务。",
        "带头讲党性、重品行、作表率,树立党员良好形象。",
    )),
    ("业务", _each(5,
        "带头爱岗敬业,有强烈的事业心和责任感。",
        "带头完成各项工作任务,恪尽职守,无私奉献。",
        "带头吃苦在前,在重大困难和危机关头冲在第一线。",
        "带头攻坚克难,较好完成各项工作任务,在本职工作岗位上做出显著成绩。",
    )),
    ("服务", _each(5,
        "带头践行党员服务承诺,充分发挥党员作用。",
        "带头联系服务群众,主动深入基层,开展民情调查和民情恳谈,做好群众工作。",
        "带头结对帮扶,扎扎实实为帮扶对象解决困难。",
        "带头关心群众疾苦,积极为群众办实事、解困难,自觉维护群众正当利益。服务态度好,办事效率高,无吃、拿、卡、要等行为,工作成绩突出,群众反映好。",
    )),
    ("廉政", _each(5,
        "带头遵守党纪国法,模范执行党的纪律。",
        "带头遵守单位规章制度,在干部、群众中作出表率。",
        "带头遵守社会公德和职业道德,党员考核、评议都在称职以上,没有违纪违法现象。",
        "带头廉洁自律,自觉抵制各种腐败现象的侵蚀;带头维护党和国家尊严,自觉抵制各种歪风邪气,敢于同不良风气、违纪违法行为作斗争;带头加强道德修养,不利用职务和工作之便接受、索取他人财物,不搞特殊、乱摊派,浩然正气,两袖清风,积极弘扬良好社会风尚。",
    )),
    ("创新", _each(5,
        "科学分析国际、国内经济发展形势,带头解放思想,更新观念,实事求是,与时俱进,创造性提出推进商贸国际化的新举措。",
        "立足本职,结合工作岗位实际,认真调查研究,工作中善于提出新思路、解决新问题、总结新经验,有创新成果。",
        "在项目、招商引资、固定资产投资、国际商贸城建设等工作推进上创新工作方式、方法,成效明显。",
        "在建立和完善关系民生的帮扶机制和保障机制上有创新,帮助群众解决实际困难取得一定成效。",
    )),
])

# S3 企业党员 (评定标准 六至八): item texts verbatim. The plan gives 4 + 4 + 3 items and no
# points; 8 per item for the two 4-item stars and 12 per item for 技能进步 (32 + 32 + 36 = 100)
# keep one maximum per category and the three stars within a few points of each other.
S3_ENTERPRISE = _criteria("企业党员", [
    ("岗位奉献", _each(8,
        "带头爱岗敬业,有强烈的事业心和责任感。",
        "带头完成各项工作任务,恪尽职守,无私奉献,任劳任怨,克己奉公。",
        "带头吃苦在前,在重大困难和危机关头冲在第一线,个人利益服从集体利益。",
        "带头攻坚克难,在本职工作岗位上做出显著成绩,同时,立足岗位搞好“传帮带”,为社会做出了一定奉献。",
    )),
    ("诚信经营", _each(8,
        "带头践行党员服务承诺,充分发挥党员作用。",
        "严格遵守国家的各项法律法规,依法经营,诚实守信,无造假售假、偷税漏税情况发生。",
        "热情服务,礼貌待人,团结同志,生活情趣健康,无黄赌毒等不良习气,受到客户及群众好评。",
        "积极参与扶贫、帮困、救灾等各项社会公益活动。",
    )),
    ("技能进步", _each(12,
        "刻苦学习岗位技能,具有能胜任工作的文化水平、专业知识和工作技能。",
        "工作实践经验丰富,卓有成效地开展工作,实绩显著。",
        "勇于开拓创新,工作技能有创造性提升的。",
    )),
])

# S5 党员 (授旗评星标准 (一)至(五)): item texts verbatim, 4 items × 5 per star category.
# Verbatim includes the plan's slips "带头守党纪国法" and "带关攻坚克难" (for 带头); a clerk
# may correct them in the workbook.
S5_MEMBER = _criteria("党员", [
    ("学习提高", _each(5,
        "带头学习实践科学发展观和科学文化知识,落实党的路线方针政策。",
        "带头学习业务知识,不断增强学习意识,提高业务水平和技能,成为业务骨干和本职工作行家里手。",
        "带头参加创先争优活动和学习型党组织创建,落实学习型党组织建设任务。",
        "带头讲党性、重品行、作表率,树立党员良好形象。",
    )),
    ("争创佳绩", _each(5,
        "带头爱岗敬业,有强烈的事业心和责任感。",
        "带头完成各项工作任务,恪尽职守,无私奉献。",
        "带头吃苦在前,在重大困难和危机关头冲在第一线。",
        "带头攻坚克难,较好完成各项工作任务,在本职工作岗位上做出显著成绩。",
    )),
    ("服务模范", _each(5,
        "带头践行党员服务承诺,充分发挥党员作用。",
        "带头联系服务群众,主动深入职工当中,开展民情调查,做好职工思想工作。",
        "带头搞好示范岗位建设,提高服务意识和服务质量。",
        "接待外来办事人员服务态度好,办事效率高,工作成绩突出。",
    )),
    ("廉政模范", _each(5,
        "带头守党纪国法,模范执行党的纪律。",
        "带头遵守单位规章制度,在全局职工家属中作出表率。",
        "带头遵守社会公德和职业道德,党员考核、评议都在称职以上,没有违纪违法现象。",
        "带头廉洁自律,自觉抵制各种腐败现象的侵蚀;带头维护党和国家尊严,自觉抵制各种歪风邪气,敢于同不良风气、违纪违法行为作斗争;带头加强道德修养,不利用职务和工作之便接受、索取他人财物,不搞特殊、浩然正气,两袖清风,积极弘扬良好社会风尚。",
    )),
    ("岗位带头", _each(5,
        "带头爱岗敬业,有强烈的事业心和责任感。",
        "带头完成各项工作任务,恪尽职守,无私奉献,任劳任怨,克己奉公。",
        "带头吃苦在前,在重大困难和危机关头冲在第一线,个人利益服从集体利益。",
        "带关攻坚克难,在本职工作岗位做出显著成绩,同时,立足岗位搞好“传帮带”为单位做出了一定奉献。",
    )),
])

# S5 五好支部: derived. S5 states each "好" in one sentence (三、授旗评星标准) with no points;
# the items below split those sentences into their clauses (wording kept), 20 points per 好.
# 工作机制好 and 工作业绩好 have four clauses (4 × 5) instead of S3's five/six items; the
# fourth 工作业绩好 item is taken from the plan's opening ("推动我局创先争优活动深入开展").
S5_FLAG = _criteria(FLAG_SET, [
    ("领导班子好", _each(4,
        "领导班子能深入学习实践科学发展观,认真贯彻党的路线方针政策。",
        "自觉践行“个人形象一面旗、工作热情一团火、谋事布局一盘棋”的要求。",
        "团结协作,求真务实。",
        "勤政廉洁。",
        "有较强的凝聚力和战斗力。",
    )),
    ("党员队伍好", _each(4,
        "党员发展管理教育成效明显。",
        "党员素质优良,有较强的党员意识。",
        "自觉践行党的宗旨。",
        "带头履行职责。",
        "充分发挥先锋模范作用。",
    )),
    ("工作机制好", _each(5,
        "促进科学发展的体制机制得到建立健全。",
        "规章制度完善。",
        "管理措施到位。",
        "工作运行顺畅有序。",
    )),
    ("工作业绩好", _each(5,
        "本单位各项工作成绩显著。",
        "围绕中心、服务大局事迹突出。",
        "能够做到党建工作与各项工作统筹兼顾,有机结合,相互促进。",
        "推动我局创先争优活动深入开展,活动取得实效。",
    )),
    ("群众反映好", _each(4,
        "党支部能模范执行党的群众路线。",
        "工作作风务实。",
        "服务群众。",
        "为群众办实事办好事。",
        "党群干群关系密切。",
    )),
])

# S1 党员: derived. S1 only says "把'五带头'的要求具体化、标准化,精心设计党员评星的具体内容"
# and gives no items, so the five national 五带头 categories (S2's, with the standard
# 带头服务群众 where S2's company text says 服务员工) carry items written from S1's own
# wording (终身学习、艰苦创业、勇于奉献、公开承诺、统计工作实际、增星/摘星 conditions).
S1_MEMBER = _criteria("党员", [
    ("带头学习提高", _each(5,
        "树立终身学习的理念，培养学习兴趣，提升学习能力，争当勤奋学习的先锋。",
        "认真学习邓小平理论、“三个代表”重要思想和科学发展观，积极参加支部组织的学习活动。",
        "结合统计工作实际学习业务知识，把学习成果运用到统计工作中。",
        "对照授旗评星目标、内容和标准，积极参加创先争优活动。",
    )),
    ("带头争创佳绩", _each(5,
        "爱岗敬业，立足岗位创先进、搞好本职争优秀。",
        "紧扣本单位中心工作，按时保质完成各项统计工作任务。",
        "针对公开承诺事项率先垂范，认真践诺，承诺事项完成到位。",
        "工作实绩突出，无因工作不力造成的重大失误或损失。",
    )),
    ("带头服务群众", _each(5,
        "贯彻落实群众路线，吸收群众参与创先争优活动。",
        "承诺事项向群众公开，接受群众监督，认真听取职工群众意见。",
        "对领导点评和群众评议指出的不足，分析原因，认真整改。",
        "正确处理个人发展与全局利益的关系，争当勇于奉献的先锋。",
    )),
    ("带头遵纪守法", _each(5,
        "严格遵守党纪国法，无违纪违法行为。",
        "严格遵守局各项规章制度和工作纪律。",
        "按照党员应具备的基本素质，认真履行党员义务和岗位职责。",
        "依法依规开展统计工作，自觉接受党员和群众监督。",
    )),
    ("带头弘扬正气", _each(5,
        "坚定理想信念，争当艰苦创业的先锋。",
        "继承和发扬优良传统，树立党员良好形象。",
        "团结同事，维护全局利益和集体荣誉。",
        "学习先进、争当先进、赶超先进，积极宣传先进典型。",
    )),
])

# S4 党员: derived. The speech names "五好五带头" and "四亮四评" but itemises nothing; the
# five 五带头 categories (as for S1) carry items from the speech's own wording (善洲精神,
# 亮流程/亮身份/亮职责/亮承诺, 公开承诺, 讲质量/提效率/抓落实, 想干事/能干事/干成事).
S4_MEMBER = _criteria("党员", [
    ("带头学习提高", _each(5,
        "学习杨善洲同志坚定信念、对党忠诚的政治品格，让理想信念在心灵深处牢牢扎根。",
        "深入学习践行“善洲精神”，积极参加主题实践活动。",
        "自觉加强党性修养，学先进、赶先进、当先进。",
        "结合工作实际，用新的工作思路和工作方法破解工作难题。",
    )),
    ("带头争创佳绩", _each(5,
        "立足岗位，恪尽职守，扎实工作，争创优秀业绩。",
        "在岗位上亮流程、亮身份、亮职责、亮承诺。",
        "公开承诺事项量化、细化、具体化，承诺事项按期兑现。",
        "想干事、能干事、干成事，紧扣中心工作和重点任务。",
    )),
    ("带头服务群众", _each(5,
        "牢记宗旨、一心为民，诚心诚意为群众谋利益。",
        "多办顺应民心、化解民忧、为民谋利的实事。",
        "讲质量、提效率、抓落实，让群众感受到实惠。",
        "落实党员结对帮扶，争做群众的贴心人。",
    )),
    ("带头遵纪守法", _each(5,
        "立党为公、执政为民，遵守党纪国法。",
        "艰苦奋斗、清正廉洁，无违纪违法行为。",
        "履行岗位职责，严格执行工作流程和工作制度。",
        "克服厌倦心理和懈怠情绪，不重形式而轻内容。",
    )),
    ("带头弘扬正气", _each(5,
        "鞠躬尽瘁、不懈奋斗，奋发有为、干事创业。",
        "大公无私、淡泊名利，自觉实践共产党人的人生价值和道德追求。",
        "践行“善洲精神”，立足岗位作奉献。",
        "崇尚先进、学习先进、赶超先进，树立党员良好形象。",
    )),
])

# S1 and S4 give no 五好 items: both reuse S3's 五好支部 set verbatim (the only itemised,
# pointed 五好 standard in the sources). Two S3 items are specific to XX区 (工作业绩好 1–2:
# XX经济发展指标, 企业支部依法经营); a clerk should adapt them.
S1_FLAG = S3_FLAG
S4_FLAG = S3_FLAG


# ============================================================================================
# Presets
# ============================================================================================

PRESETS: dict[str, dict] = {
    "s1": {
        SETTINGS: _settings(
            "丽江市古城区统计局党支部", "2026H2", "半年", "否",
            "依据《丽江市古城区统计局党支部创先争优授旗评星活动实施方案》（古统办[2010]8号），每半年授旗评星一次。",
        ),
        CRITERIA: [HEADERS[CRITERIA], *S1_MEMBER, *S1_FLAG],
        # S1: 党员自评、支部党员互评、领导点评、职工群众参评; weights from S2 (S1 is silent).
        GROUPS: _groups("职工群众参评", with_flag=True),
        BANDS: list(STAR_BANDS),
        # S1 awards 流动红旗 "to advanced organisations" by a standard it does not state:
        # one flag per period, no minimum score (the clerk may add one).
        FLAG_RULES: _flag_rules(1, "流动红旗"),
    },
    "s2": {
        SETTINGS: _settings(
            "质检中心党支部", "2026Q4", "季度", "是",
            "依据《质检中心党支部授旗评星活动实施方案》，创五星级党员主题活动每季度评定1次。",
        ),
        CRITERIA: [HEADERS[CRITERIA], *S2_MEMBER],
        GROUPS: _groups("职工参评", with_flag=False),
        BANDS: list(STAR_BANDS),
    },
    "s3": {
        SETTINGS: _settings(
            "XX区XX局党总支", "2026Q4", "季度", "否",
            # enterprises may set their own cycle (S3); the preset uses the plan's quarter
            "依据《XX区党员授旗评星实施方案》“争一面先锋旗、创五颗模范星”，每季度评定1次（各企业党组织可明确各自的考核周期）。",
        ),
        # members must name their set (机关党员 / 企业党员) in the roster's 指标体系 column:
        # this preset has no default "党员" set
        CRITERIA: [HEADERS[CRITERIA], *S3_AGENCY, *S3_ENTERPRISE, *S3_FLAG],
        # S3: 党员自评、党员互评、领导点评、群众参评; weights from S2 (S3 is silent).
        GROUPS: _groups("群众参评", with_flag=True),
        MODEL_STARS: _model_stars([
            ("学习模范星", "机关党员", "学习"),
            ("业务模范星", "机关党员", "业务"),
            ("服务模范星", "机关党员", "服务"),
            ("廉政模范星", "机关党员", "廉政"),
            ("创新模范星", "机关党员", "创新"),
            ("岗位奉献星", "企业党员", "岗位奉献"),
            ("诚信经营星", "企业党员", "诚信经营"),
            ("技能进步星", "企业党员", "技能进步"),
        ]),
        # S3: "XX先锋旗评定一面,在全系统各党支部中评选产生"; 群众满意率达85%以上.
        FLAG_RULES: _flag_rules(1, "XX先锋旗", satisfaction_floor=0.85),
    },
    "s4": {
        SETTINGS: _settings(
            "富民县委创先争优活动领导小组办公室", "2026Q4", "季度", "否",
            "依据富民县创先争优活动“授旗评星”推进会上的讲话（2011年4月22日），每季度评选先进党组织“流动红旗”和“党员之星”。",
        ),
        CRITERIA: [HEADERS[CRITERIA], *S4_MEMBER, *S4_FLAG],
        # The speech's 四评 are 自己评、群众评、领导评、组织评. 组织评 (the branch committee) is
        # the 支部评定 step that tallies the groups, not a rater group of its own; 互评 is kept
        # as in every other plan. Weights from S2 (the speech is silent).
        GROUPS: _groups("群众参评", with_flag=True),
        BANDS: list(STAR_BANDS),
        # 第一季度共评选出先进党组织31家 (of 387 organisations)
        FLAG_RULES: _flag_rules(31, "流动红旗"),
        # "党员之星"34个 county-wide (of 9,000+ members). Ties: the speech's "优秀靠群众认可"
        # puts the masses first, then leaders, then peers; self-ratings never break a tie.
        MEMBER_STARS: [
            KV_HEADER,
            ("名额", 34),
            ("范围", "全县"),
            ("并列规则", "群众参评平均分高者优先；领导点评平均分高者优先；互评平均分高者优先"),
        ],
    },
    "s5": {
        SETTINGS: _settings(
            "华坪县气象局党支部", "2026H2", "半年", "否",
            "依据《华坪县气象局党支部授旗评星活动实施方案》“争一面先锋旗、创五颗模范星”，每半年评定一次。",
        ),
        CRITERIA: [HEADERS[CRITERIA], *S5_MEMBER, *S5_FLAG],
        # S5: 党员自评、党员互评、领导点评、职工参评 (the plan hands the form to all staff;
        # 人数 defaults to 5 — set it to the bureau's headcount). Weights from S2.
        GROUPS: _groups("职工参评", with_flag=True),
        MODEL_STARS: _model_stars([
            ("学习提高星", "党员", "学习提高"),
            ("争创佳绩星", "党员", "争创佳绩"),
            ("服务模范星", "党员", "服务模范"),
            ("廉政模范星", "党员", "廉政模范"),
            ("岗位带头星", "党员", "岗位带头"),
        ]),
        # S5: "支部积极争创'建设先锋旗'": one flag, no quota or minimum stated.
        FLAG_RULES: _flag_rules(1, "建设先锋旗"),
    },
}


def preset_names() -> list[str]:
    return sorted(PRESETS)


def preset(name: str) -> dict:
    """A fresh copy of one preset's sheets (callers may edit it freely); every preset ends with
    an empty 调整 sheet, where the office records 增星、摘星、降级、撤旗 and 更正 after scoring."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in PRESETS:
        raise KeyError(f"未知的预设方案“{name}”，可选：{'、'.join(preset_names())}")
    return copy.deepcopy(PRESETS[key]) | {ADJUSTMENTS: [HEADERS[ADJUSTMENTS]]}
