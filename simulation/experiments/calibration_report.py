"""What ``linkage calibrate`` writes besides the overlay: ``fit.json``, the back-test chart and the report in
Chinese and English (标定报告).

The chart puts, per service and interval, the held-out log's empirical distribution beside the calibrated
engine's (Vega-Lite rendered offline by vl-convert, CJK fonts from the system). The report lists every fitted
parameter with its interval and n, the back-test table (medians, p90, KS statistic and p-value, n on each
side), calls per day, the 119 five-minute share, the turnout shares within 60 and 80 s, the 12345 rejection
shares, and the fit's notes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from simulation.experiments.backtest import INTERVALS, BackTest
from simulation.experiments.calibration import Fit
from simulation.experiments.outputs import write_file

FONT = "Noto Sans CJK SC"
SERVICE_NAME = {"119": ("119 火警", "119 fire"), "110": ("110 报警", "110 police"),
                "120": ("120 急救", "120 ambulance"), "12345": ("12345 热线", "12345 hotline")}


def fit_json(fit: Fit, level: float, confidence: float, source: str, scenario: str) -> dict:
    return {
        "log": source, "scenario": scenario, "window_start": fit.start.isoformat(), "days": fit.days,
        "fit_days": fit.fit_days, "calls_fitted": len(fit.fitted), "calls_held_out": len(fit.held_out),
        "orders_fitted": len(fit.orders_fitted), "orders_held_out": len(fit.orders_held_out),
        "confidence_family": confidence, "confidence_each": level,
        "estimates": [{"path": e.path, "what": e.what, "value": e.value, "low": e.low, "high": e.high, "n": e.n}
                      for e in fit.estimates],
        "notes": [{"zh": zh, "en": en} for zh, en in fit.notes],
    }


def _ecdf_points(x: np.ndarray, k: int = 100) -> list[tuple[float, float]]:
    """The ECDF at ``k`` quantiles up to the 99th percentile (a rare long wait would squash the axis)."""
    q = np.linspace(0, 0.99, k)
    return [(float(v) / 60.0, float(p)) for v, p in zip(np.quantile(x, q), q)]


def chart_spec(bt: BackTest) -> dict:
    values = []
    labels = {k: f"{zh} / {en}" for k, zh, en in INTERVALS}
    for row in bt.rows:
        for x, name in ((row.log, "日志（留出）/ log (held out)"), (row.sim, "引擎 / engine")):
            if x.size:
                values += [{"service": " / ".join(SERVICE_NAME[row.service]), "interval": labels[row.interval],
                            "source": name, "minutes": m, "share": p} for m, p in _ecdf_points(x)]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "回测：留出日志与标定后引擎的累积分布（至P99）/ Back-test: held-out log vs calibrated engine "
                 "(ECDF to the 99th percentile)",
        "data": {"values": values},
        "facet": {"row": {"field": "service", "type": "nominal", "title": None},
                  "column": {"field": "interval", "type": "nominal", "title": None,
                             "sort": [labels[k] for k, _zh, _en in INTERVALS]}},
        "spec": {"width": 220, "height": 140, "mark": {"type": "line", "interpolate": "step-after"},
                 "encoding": {"x": {"field": "minutes", "type": "quantitative", "title": "分钟 / minutes"},
                              "y": {"field": "share", "type": "quantitative", "title": "累积比例 / share"},
                              "color": {"field": "source", "type": "nominal", "title": None,
                                        "scale": {"range": ["#d62728", "#1f77b4"]}}}},
        "resolve": {"scale": {"x": "independent"}},
        "config": {"font": FONT, "legend": {"orient": "bottom"}},
    }


def chart_png(bt: BackTest) -> bytes:
    import vl_convert as vlc

    vlc.register_font_directory("/usr/share/fonts")
    return vlc.vegalite_to_png(chart_spec(bt), scale=2)


def _num(v: float | None, digits: int = 1) -> str:
    return "—" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:,.{digits}f}"


def _sig(v: float) -> str:
    return f"{v:.4g}"


def markdown(fit: Fit, bt: BackTest, meta: dict, lang: str) -> str:
    zh = lang == "zh"

    def t(a: str, b: str) -> str:
        return a if zh else b

    held = bt.held_out_days
    out = [
        t("# 事件日志标定与回测报告", "# Calibration from the incident log, and its back-test"),
        "",
        t(f"日志 `{meta['log']}`，情景 `{meta['scenario']}`，叠加文件 `{meta['overlay']}`。",
          f"Log `{meta['log']}`, scenario `{meta['scenario']}`, overlay `{meta['overlay']}`."),
        t(f"日志自 {fit.start:%Y-%m-%d} 起共 {fit.days} 天：前 {fit.fit_days} 天（{len(fit.fitted)} 起）用于拟合，"
          f"后 {held} 天（{len(fit.held_out)} 起）留作回测。",
          f"The log spans {fit.days} days from {fit.start:%Y-%m-%d}: the first {fit.fit_days} ({len(fit.fitted)} "
          f"incidents) are fitted, the last {held} ({len(fit.held_out)} incidents) are held out for the back-test."),
        *([t(f"12345 工单导出 `{meta.get('orders')}`：{len(fit.orders_fitted)} 条派单记录用于拟合，"
             f"{len(fit.orders_held_out)} 条（首次派单在留出天数内的工单）留作回测。",
             f"12345 export `{meta.get('orders')}`: {len(fit.orders_fitted)} dispatches fitted, "
             f"{len(fit.orders_held_out)} (of the cases first dispatched in the held-out days) held out.")]
          if fit.orders_fitted or fit.orders_held_out else []),
        t(f"所有区间合起来的置信水平为 {meta['confidence']:.0%}（Bonferroni：每个区间 {meta['level']:.4%}）。",
          f"The intervals hold together with {meta['confidence']:.0%} confidence (Bonferroni: each at "
          f"{meta['level']:.4%})."),
        "",
        t("## 拟合参数（最大似然）", "## Fitted parameters (maximum likelihood)"),
        "",
        t("| 参数（情景字段） | 含义 | 估计 | 置信区间 | n |",
          "| parameter (scenario field) | what | estimate | interval | n |"),
        "|---|---|---:|---|---:|",
    ]
    for e in fit.estimates:
        if "×profile" in e.path:
            continue
        out.append(f"| `{e.path}` | {e.what} | {_sig(e.value)} | {_sig(e.low)} – {_sig(e.high)} | {e.n} |")
    out += ["", t("每小时呼叫率（每网格每小时）的区间见 `fit.json`（`…rate_per_hour×profile[h]`）。",
                  "The hourly call rates (per grid per hour) and their intervals are in `fit.json` "
                  "(`…rate_per_hour×profile[h]`)."), ""]
    out += [t("## 回测", "## Back-test"), "",
            t(f"标定后的情景运行 {bt.replications} 次（种子 {bt.seed}），与留出的 {held} 天日志比较。KS：两样本"
              "Kolmogorov–Smirnov 统计量及其 p 值；时间单位为分钟。",
              f"The calibrated scenario ran {bt.replications} replications (seed {bt.seed}), compared with the "
              f"{held} held-out days. KS: the two-sample Kolmogorov–Smirnov statistic and its p-value; times in "
              "minutes."), "",
            t("| 接警台 | 区间 | n 日志 | n 引擎 | 中位数 日志 | 中位数 引擎 | P90 日志 | P90 引擎 | KS | p |",
              "| service | interval | n log | n engine | median log | median engine | p90 log | p90 engine | KS | p |"),
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    label = {k: (z, e) for k, z, e in INTERVALS}
    for r in bt.rows:
        q = [_num(None if v is None else v / 60, 2) for v in
             (r.quantile("log", .5), r.quantile("sim", .5), r.quantile("log", .9), r.quantile("sim", .9))]
        name = SERVICE_NAME[r.service][0 if zh else 1]
        out.append(f"| {name} | {label[r.interval][0 if zh else 1]} | {r.log.size} | {r.sim.size} | "
                   f"{' | '.join(q)} | {_num(r.ks, 3)} | {_num(r.p_value, 3)} |")
    out += ["", t("| 接警台 | 日均呼叫 日志 | 日均呼叫 引擎 |",
                  "| service | calls per day, log | calls per day, engine |"),
            "|---|---:|---:|"]
    for s, (a, b) in bt.calls_per_day.items():
        out.append(f"| {SERVICE_NAME[s][0 if zh else 1]} | {_num(a)} | {_num(b)} |")
    if "119" in bt.within_5min:
        a, b = bt.within_5min["119"]
        out += ["", t(f"119 调派后 5 分钟内到场的比例：日志 {_num(None if a is None else 100 * a)}%，"
                      f"引擎 {_num(None if b is None else 100 * b)}%。",
                      f"119 arrivals within 5 minutes of the dispatch: log {_num(None if a is None else 100 * a)}%, "
                      f"engine {_num(None if b is None else 100 * b)}%.")]
    if bt.turnout_within:
        out += ["", t("| 接警台 | 出动时间不超过 | 日志（留出） | 引擎 |",
                      "| service | turnout within | log (held out) | engine |"),
                "|---|---:|---:|---:|"]
        for (s, norm), (a, b) in sorted(bt.turnout_within.items()):
            name, unit = SERVICE_NAME[s][0 if zh else 1], t("秒", "s")
            out.append(f"| {name} | {norm:.0f} {unit} | {_num(100 * a)}% | {_num(100 * b)}% |")
        out += ["", t("60 秒与 80 秒为 NFPA 1710（2020）§4.1.2.1 的出动时间目标（急救 60 秒，灭火与特种救援 80 秒）；"
                      "n 见上表“调派→出动”一行。",
                      "60 s and 80 s are the turnout targets of NFPA 1710 (2020) §4.1.2.1 (60 s EMS, 80 s fire and "
                      "special operations); n is on the dispatch → left row above.")]
    if bt.rejections:
        out += _rejections(bt, t)
    if bt.in_sample:
        out += ["", t("注意：未留出数据（--holdout 0），回测与拟合所用的同一批日志比较（样本内），不能检验预测能力。",
                      "Note: nothing was held out (--holdout 0): the back-test compares the engine with the very days "
                      "it was fitted to (in-sample), which cannot show how well it predicts.")]
    out += ["", "![back-test](backtest.png)", ""]
    if fit.notes:
        out += [t("## 说明", "## Notes"), ""] + [f"- {z if zh else e}" for z, e in fit.notes] + [""]
    return "\n".join(out)


REJECTION_CLASS = {"shared": ("职能交叉（清单列多个单位）", "shared duties (listed with others)"),
                   "unlisted": ("职能不符或权属不清（清单未列该单位）", "not listed for the agency (or for nobody)"),
                   "all": ("全部（含清单只列该单位的）", "all (with those listed for the agency alone)")}


def _rejections(bt: BackTest, t) -> list[str]:
    """The held-out export's rejection shares against the engine's, each with its n."""
    out = ["", t("| 12345 工单 | 退单率 日志（留出） | n 日志 | 退单率 引擎 | n 引擎 |",
                 "| 12345 orders | rejected, log (held out) | n log | rejected, engine | n engine |"),
           "|---|---:|---:|---:|---:|"]
    for k, ((a, n), (b, m)) in bt.rejections.items():
        zh, en = REJECTION_CLASS[k]
        out.append(f"| {t(zh, en)} | {_num(100 * a / n if n else None)}% | {n} | {_num(100 * b / m if m else None)}% "
                   f"| {m} |")
    out += ["", t("n 为已答复（签收或退单）的非审定工单数；签收时间见上表“派单→签收”一行。",
                  "n counts the answered (signed or rejected) orders not issued on a ruling; the sign times are on the "
                  "dispatch → sign row above.")]
    return out


def write_report(folder: Path, fit: Fit, bt: BackTest, meta: dict) -> list[Path]:
    """``fit.json``, ``backtest.png``, ``report.zh.md`` and ``report.en.md`` in ``folder``."""
    paths = [folder / "fit.json", folder / "backtest.png", folder / "report.zh.md", folder / "report.en.md"]
    write_file(paths[0], json.dumps(fit_json(fit, meta["level"], meta["confidence"], meta["log"], meta["scenario"]),
                                    ensure_ascii=False, indent=1))
    write_file(paths[1], chart_png(bt))
    write_file(paths[2], markdown(fit, bt, meta, "zh"))
    write_file(paths[3], markdown(fit, bt, meta, "en"))
    return paths
