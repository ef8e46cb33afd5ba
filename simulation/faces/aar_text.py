"""Words a person reads in drill reports and pages, in Chinese and English (中英文文案)."""

from __future__ import annotations

from typing import Any

from simulation.drill.msel import format_time

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
        "wall": "用时（秒，实际）",
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
        "st": {"met": "按时完成", "late": "超时完成", "missed": "未完成", "not_delivered": "未下达"},
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
        "s_met": "{agency}在注入{inject}后{after}分钟内完成“{action}”（标准{criterion}）。",
        "s_nofallback": "全部{n}项玩家决策均在时限内作出，无超时默认处置。",
        "s_better": "指标 {metric} 优于预案自动推演。",
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
        "wall": "Latency (s, wall clock)",
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
        "st": {"met": "met", "late": "late", "missed": "missed", "not_delivered": "not delivered"},
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
        "s_met": "{agency} did '{action}' {after} min after inject {inject} (criterion {criterion}).",
        "s_nofallback": "All {n} player decisions were taken within their deadlines; no fallback applied.",
        "s_better": "{metric} was better than in the plan's automatic play.",
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


def event_text(r: dict, lang: str) -> str:
    """One log record as a line a person reads."""
    p, k = r["payload"], r["kind"]
    L = T[lang]
    if k == "report":
        return (
            "接报：" if lang == "zh" else "Report received: "
        ) + f"{p['incident']} ({p['type']}, {p['grid']}, {p.get('detected_by')})"
    if k == "notified":
        return ("收到事件通知：" if lang == "zh" else "Notified of ") + p["incident"]
    if k == "task":
        units = (
            f" [{', '.join(u.rsplit('.', 1)[-1] for u in p['units'])}]"
            if p["units"] and p["stage"] == "unit_assigned"
            else ""
        )
        return f"{p['task']}: {STAGE[lang][p['stage']]}{units}"
    if k == "inject":
        return f"{L['kinds']['inject']} {p['inject']} ({p['from']}, {p['method']}): {p[lang]}"
    if k == "ask":
        limit = "时限" if lang == "zh" else "deadline"
        return f"{L['kinds']['ask']}: {p['key']} ({limit} {format_time(p['deadline_at'])})"
    if k == "decision":
        tag = (" — 超时默认" if lang == "zh" else " — fallback") if r["fallback"] else ""
        return f"{L['kinds']['decision']}: {p['decision']} = {p['value']}{tag}"
    if k == "message":
        return f"{L['kinds']['message']} {p['from']} → {p['to']} ({p['kind']}): {p['text']}"
    if k == "notify":
        return f"{L['kinds']['notify']} → {p['to']} ({p['incident']})"
    if k == "ack":
        return f"{L['kinds']['ack']} {p['inject']}"
    return k
