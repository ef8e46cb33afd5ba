"""Words a person reads in drill reports and pages, in Chinese and English (中英文文案)."""

from __future__ import annotations

from typing import Any

from simulation.drill.msel import format_time
from simulation.faces.vocab import Namer, word


def mins(seconds: float | None) -> str:
    """Seconds as minutes to one decimal for the report; "—" where there is no value (None or NaN)."""
    return "—" if seconds is None or seconds != seconds else f"{seconds / 60:.1f}"

STAGE = {
    "zh": {
        "available": "可开展",
        "owner_known": "明确责任",
        "notified": "已通知",
        "decided": "已决定",
        "unit_assigned": "已派出",
        "arrived": "到场",
        "started": "开始处置",
        "done": "完成",
    },
    "en": {
        "available": "available",
        "owner_known": "owner known",
        "notified": "notified",
        "decided": "decided",
        "unit_assigned": "units assigned",
        "arrived": "arrived",
        "started": "started",
        "done": "done",
    },
}
GAP_PART = {
    "zh": {
        "ownership": "明确责任",
        "bounce": "工单退回改派",
        "arbitration": "上级审定",
        "signing": "工单签收",
        "enforcement": "等待执法部门",
        "notification": "通知",
        "decision": "决策",
        "unit_wait": "等待力量",
        "travel": "途中",
        "setup": "现场准备",
    },
    "en": {
        "ownership": "ownership",
        "bounce": "work orders bounced",
        "arbitration": "arbitration",
        "signing": "signing the order",
        "enforcement": "waiting for enforcement powers",
        "notification": "notification",
        "decision": "decision",
        "unit_wait": "unit wait",
        "travel": "travel",
        "setup": "setup",
    },
}

T: dict[str, dict[str, Any]] = {
    "zh": {
        "report": "演练评估报告",
        "standard": (
            "依据 AQ/T 9009-2015《生产安全事故应急演练评估规范》"
            "及 HSEEP 演练总结报告/改进计划（AAR/IP）结构编写。"
        ),
        "overview": "一、演练概况",
        "scenario": "情景",
        "arrangement": "职责安排",
        "seed": "随机种子",
        "code": "场次代码",
        "created": "创建时间",
        "generated": "报告日期",
        "played": "推演至",
        "seats": "参演席位",
        "seat": "席位",
        "role": "角色",
        "agencies": "扮演单位",
        "projected": "推演尚未结束：本报告按各待决事项在时限到达时采用默认处置推算至情景结束。",
        "timeline": "二、各单位时间线",
        "time": "情景时间",
        "event": "事件",
        "decisions": "三、决策用时",
        "decision": "决策",
        "kind": "类型",
        "agency": "单位",
        "asked": "提出",
        "decided": "决定",
        "latency": "用时（分，情景时间）",
        "wall": "实际用时（分）",
        "wall_note": (
            "推演时情景时钟在玩家思考时停止，故“情景用时”只反映导调推进时钟的方式；“实际用时”是从决策"
            "提出到玩家作出决定的真实时间，反映参演人员的决策速度。"
        ),
        "could_act": "可行动时刻",
        "criterion_from": "时间标准自注入下达与该单位可以行动两者中较晚者起算。",
        "plan_injects": "预案自动推演在相同时刻注入了导调人工下达的注入（{injects}），与本次推演条件一致。",
        "cf_explain": (
            "{metric}：本次推演 {drill}，同一随机抽样下按预案决策为 {plan}，预案 {n} 次重复的平均值为 {mean}"
            "（{k} 次中有 {share} 不高于本次推演）。其中 {decisions} 来自参演人员的决策（同一随机抽样，只有决策不同），"
            "{luck} 来自本次随机抽样（发现、接警、路途等随机因素）与预案平均情况的差别。"
        ),
        "capability": "核心能力",
        "rating": "评定",
        "ratings": {"P": "P 完成（无挑战）", "S": "S 完成（有挑战）", "M": "M 部分完成（重大挑战）", "U": "U 未能完成"},
        "owner_team": "演练组织单位",
        "s_praise": "评估组：{text}",
        "a_rating": "针对“{capability}”（评定 {rating}）修订预案并开展专项训练：{text}",
        "a_note_capability": "针对“{capability}”修订预案并组织专项训练。",
        "fallback": "超时默认",
        "as_plan": "同预案",
        "yes": "是",
        "no": "否",
        "handoffs": "四、交接间隙及其环节",
        "task": "任务",
        "from": "移交方",
        "to": "接收方",
        "gap": "间隙（分）",
        "censored": "至结束仍未开始",
        "expected": "五、预期行动达成情况",
        "inject": "注入",
        "action": "预期行动",
        "criterion": "时间标准",
        "delivered": "下达",
        "when": "实际",
        "status": "结果",
        "st": {"met": "按时完成", "late": "超时完成", "missed": "未完成", "not_delivered": "未下达",
               "before_inject": "注入前已完成", "not_offered": "未获行动机会"},
        "comparison": "六、与预案自动推演对比（同一情景、同一随机种子）",
        "metric": "指标",
        "drill": "本次推演",
        "plan": "预案自动推演",
        "counterfactual": "七、蒙特卡洛反事实分析",
        "cf_sentence": (
            "若按预案决策，控制时间约为 {mean} ± {sd} 分钟（{n} 次重复中 {k} 次得到控制）；"
            "本次推演为 {drill} 分钟。"
        ),
        "cf_none": "若按预案决策，{n} 次重复中仅 {k} 次在情景结束前得到控制；本次推演控制时间为 {drill} 分钟。",
        "cf_share": "预案重复中不晚于本次推演的比例",
        "casualties_mc": "预案重复的平均伤亡（筛查估计）",
        "strengths": "八、主要优点",
        "none": "无",
        "improvements": "九、存在问题与改进计划",
        "num": "序号",
        "issue": "问题",
        "corrective": "改进措施",
        "owner": "责任单位",
        "due": "完成时限",
        "notes": "评估人员记录",
        "actor": "记录人",
        "s_met": "{agency}在可以行动后 {after} 分钟完成“{action}”（注入{inject}，标准{criterion}）。",
        "s_nofallback": "全部{n}项玩家决策均在时限内作出，无超时默认处置。",
        "s_better": "“{metric}”优于同一随机抽样下的预案自动推演（{drill}，预案 {plan}）。",
        "i_missed": "未完成注入{inject}的预期行动“{action}”（标准{criterion}）。",
        "i_late": "注入{inject}的预期行动“{action}”超出时间标准（{criterion}）。",
        "a_expected": "修订处置流程并开展专项训练，确保按时完成“{action}”。",
        "i_fallback": "决策“{key}”未在时限内作出，按默认处置。",
        "a_fallback": "明确决策权限与授权，缩短决策链。",
        "i_gap": "任务 {task} 由{frm}移交{to}的间隙达 {gap} 分钟。",
        "a_gap": "建立联动直通渠道或抄告机制，压缩交接环节。",
        "a_note": "按评估意见整改。",
        "roles": {"facilitator": "导调", "player": "参演", "evaluator": "评估", "observer": "观摩"},
        "kinds": {
            "report": "接报",
            "notified": "收到通知",
            "task": "任务",
            "inject": "注入",
            "ask": "待决",
            "decision": "决策",
            "message": "消息",
            "notify": "抄告",
            "ack": "签收",
        },
    },
    "en": {
        "report": "After-action report",
        "standard": (
            "Structured after AQ/T 9009-2015 (drill evaluation) and the HSEEP After-Action Report / "
            "Improvement Plan (AAR/IP)."
        ),
        "overview": "1. Exercise overview",
        "scenario": "Scenario",
        "arrangement": "Arrangement",
        "seed": "Seed",
        "code": "Session code",
        "created": "Created",
        "generated": "Report date",
        "played": "Played until",
        "seats": "Seats",
        "seat": "Seat",
        "role": "Role",
        "agencies": "Agencies played",
        "projected": (
            "The drill has not ended: this report projects it to the horizon, every pending decision "
            "taking its default at its deadline."
        ),
        "timeline": "2. Timeline per agency",
        "time": "Scenario time",
        "event": "Event",
        "decisions": "3. Decision latencies",
        "decision": "Decision",
        "kind": "Kind",
        "agency": "Agency",
        "asked": "Asked",
        "decided": "Decided",
        "latency": "Latency (min, scenario)",
        "wall": "Latency (min, wall clock)",
        "wall_note": (
            "The scenario clock stands still while players think, so the scenario latency only shows how the "
            "facilitator stepped the clock; the wall-clock latency is the real time from the decision being put "
            "to the player until they decided — the players' own speed."
        ),
        "could_act": "Could act",
        "criterion_from": (
            "Each criterion counts from the later of the inject's delivery and the moment the agency could act."
        ),
        "plan_injects": (
            "The plan's automatic play received the facilitator's manual injects ({injects}) at the same times as "
            "the drill."
        ),
        "cf_explain": (
            "{metric}: the drill {drill}; the plan's decisions on the same random draws {plan}; the mean of the plan's "
            "{n} replications {mean} ({share} of {k} no higher than the drill). {decisions} of the difference comes "
            "from the players' decisions (same draws, only the decisions differ) and {luck} from this replication's "
            "random draws (detection, call-taking, travel) against the plan's average."
        ),
        "capability": "Core capability",
        "rating": "Rating",
        "ratings": {"P": "P — performed without challenges", "S": "S — performed with some challenges",
                    "M": "M — performed with major challenges", "U": "U — unable to be performed"},
        "owner_team": "exercise planning team",
        "s_praise": "Evaluators: {text}",
        "a_rating": "Revise the plan and train for '{capability}' (rated {rating}): {text}",
        "a_note_capability": "Revise the plan and train for '{capability}'.",
        "fallback": "Fallback",
        "as_plan": "As plan",
        "yes": "yes",
        "no": "no",
        "handoffs": "4. Hand-off gaps and their stages",
        "task": "Task",
        "from": "From",
        "to": "To",
        "gap": "Gap (min)",
        "censored": "not started by the end",
        "expected": "5. Expected actions against time criteria",
        "inject": "Inject",
        "action": "Expected action",
        "criterion": "Criterion",
        "delivered": "Delivered",
        "when": "Done",
        "status": "Result",
        "st": {"met": "met", "late": "late", "missed": "missed", "not_delivered": "not delivered",
               "before_inject": "done before the inject", "not_offered": "never offered"},
        "comparison": "6. The drill against the plan's automatic play (same scenario, same seed)",
        "metric": "Metric",
        "drill": "Drill",
        "plan": "Plan (automatic)",
        "counterfactual": "7. Monte-Carlo counterfactual",
        "cf_sentence": (
            "With the plan's decisions, time to control would have been {mean} ± {sd} min ({k} of {n} "
            "replications controlled); the drill took {drill} min."
        ),
        "cf_none": (
            "With the plan's decisions, only {k} of {n} replications were controlled before the "
            "horizon; the drill's time to control was {drill} min."
        ),
        "cf_share": "Share of plan replications no later than the drill",
        "casualties_mc": "Mean casualties of the plan's replications (screening)",
        "strengths": "8. Strengths",
        "none": "none",
        "improvements": "9. Areas for improvement and improvement plan",
        "num": "No.",
        "issue": "Issue",
        "corrective": "Corrective action",
        "owner": "Owner agency",
        "due": "Due",
        "notes": "Evaluators' observations",
        "actor": "By",
        "s_met": "{agency} did '{action}' {after} min after it could act (inject {inject}, criterion {criterion}).",
        "s_nofallback": "All {n} player decisions were taken within their deadlines; no fallback applied.",
        "s_better": (
            "{metric} was better than the plan's automatic play on the same random draws ({drill} against {plan})."
        ),
        "i_missed": "Expected action '{action}' of inject {inject} was not taken (criterion {criterion}).",
        "i_late": "Expected action '{action}' of inject {inject} came after its criterion ({criterion}).",
        "a_expected": "Revise the procedure and train for '{action}' within its time criterion.",
        "i_fallback": "Decision '{key}' was not taken by its deadline; the default applied.",
        "a_fallback": "Clarify who may decide and delegate authority to shorten the decision chain.",
        "i_gap": "Hand-off of {task} from {frm} to {to} took {gap} min.",
        "a_gap": "Set up a direct liaison channel or copy-notification to cut the hand-off's stages.",
        "a_note": "Act on the evaluator's observation.",
        "roles": {"facilitator": "facilitator", "player": "player", "evaluator": "evaluator", "observer": "observer"},
        "kinds": {
            "report": "report",
            "notified": "notified",
            "task": "task",
            "inject": "inject",
            "ask": "decision asked",
            "decision": "decision",
            "message": "message",
            "notify": "copy-notify",
            "ack": "acknowledged",
        },
    },
}


def event_text(r: dict, nm: Namer) -> str:
    """One log record as a line a person reads (names, never ids or dicts)."""
    p, k, lang = r["payload"], r["kind"], nm.lang
    L = T[lang]
    zh = lang == "zh"
    if k == "report":
        how = word("detector", p.get("detected_by"), lang) if p.get("detected_by") else ""
        return ("接报：" if zh else "Report received: ") + nm.incident(p["incident"]) + (f"（{how}）" if zh and how
                                                                                     else f" ({how})" if how else "")
    if k == "notified":
        return ("收到事件通知：" if zh else "Notified of ") + nm.incident(p["incident"])
    if k == "task":
        units = f" [{nm.units(p['units'])}]" if p["units"] and p["stage"] == "unit_assigned" else ""
        return f"{nm.task(p['task'])}：{STAGE[lang][p['stage']]}{units}" if zh else \
            f"{nm.task(p['task'])}: {STAGE[lang][p['stage']]}{units}"
    if k == "inject":
        return f"{L['kinds']['inject']} {p['inject']}{'：' if zh else ': '}{p[lang]}"
    if k == "ask":
        limit = "时限" if zh else "deadline"
        what, until = nm.decision_key(p["key"]), format_time(p["deadline_at"])
        ask = L["kinds"]["ask"]
        return f"{ask}：{what}（{limit} {until}）" if zh else f"{ask}: {what} ({limit} {until})"
    if k == "decision":
        tag = (" — 超时默认" if zh else " — fallback") if r["fallback"] else ""
        sep = "：" if zh else ": "
        return f"{L['kinds']['decision']}{sep}{nm.decision_key(p['decision'])} = {nm.value(p['kind'], p['value'])}{tag}"
    if k == "message":
        sep = "：" if zh else ": "
        return f"{L['kinds']['message']} {nm.agency(p['from'])} → {nm.agency(p['to'])}{sep}{p['text']}"
    if k == "notify":
        return f"{L['kinds']['notify']} → {nm.agency(p['to'])}（{nm.incident(p['incident'])}）" if zh else \
            f"{L['kinds']['notify']} → {nm.agency(p['to'])} ({nm.incident(p['incident'])})"
    if k == "ack":
        return f"{L['kinds']['ack']} {p['inject']}"
    return L["kinds"].get(k, k)
