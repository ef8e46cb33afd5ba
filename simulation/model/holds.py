"""Desk holds (值班台受阻): a message that waited at a duty desk with nobody free to take it, and which such
wait held up a hand-off.

A notice or a work order goes hop by hop (:mod:`simulation.model.messaging`); at each hop's duty desk it
queues when every slot is taken — by people busy with other messages, or by the night shift's empty chairs
(:class:`~simulation.model.desk.Desk`). A :class:`Route` collects those waits (:class:`Hold`) for one
attempt to tell an agency, or for a relay's whole call list: with a *serial* relay (逐一通知) the fire
brigade's call to the street office waits at the street office's empty night desk, and every agency later on
its list waits with it. At the end of a replication :func:`mark_blocks` finds, for every task, the desk that
held its hand-off longest (its owner's notice, or its work order before signing) and records it on the task
— so that the "why" views charge that time to the desk that caused it, not to the pair whose message came late.

Only records are written: no event, no draw — the same seed gives the same run with or without them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState
    from simulation.model.records import TaskRecord

DESK_HOLDS = ("desk_night_empty", "desk_night_short", "desk_busy")
"""Why a message waited at a desk (``block_reason``): nobody on duty at night (every slot's person off duty,
夜间无人值守); fewer on duty at night and all of them busy (夜间值守不足); everyone on duty busy (值班台占线).
Read when the message began to wait."""
HOLD_PATHS = ("own_desk", "serial_relay", "relay_notice", "on_path")
"""Where the hold lay (``block_path``): at the addressee's own desk; at another agency's desk earlier on a
serial relay's call list (the relay was still on that call, 串行通知受阻); on the relay's own notice (the relay was
told late, so it called nobody); at a desk passing the message on."""
HOLD_STAGES = ("ownership", "signing", "notification")
"""The gap parts (``records.GAP_PARTS``) a hold is taken from: the work-order dispatcher's notice (it issues
orders only for incidents it knows of), the work order's signing, the owner's notice."""


class Hold:
    """One wait at ``desk``'s duty desk: ``sender``'s message to ``to``, from ``start`` to ``end`` (NaN: still
    waiting at the horizon)."""

    __slots__ = ("desk", "sender", "to", "start", "end", "reason")

    def __init__(self, desk: str, sender: str | None, to: str | None, start: float, reason: str) -> None:
        self.desk, self.sender, self.to, self.start, self.reason = desk, sender, to, start, reason
        self.end = math.nan


class Route:
    """The desk waits met by one attempt to reach an agency (or by a relay's call list, call after call).

    :class:`~simulation.model.messaging.Messaging` sets ``sender`` and ``to`` (the call's own ends, whatever
    desks it passes) before each message; a desk that cannot take it at once adds a :class:`Hold` (:meth:`wait`)."""

    __slots__ = ("holds", "sender", "to")

    def __init__(self, holds: Iterable[Hold] = ()) -> None:
        self.holds: list[Hold] = list(holds)
        self.sender: str | None = None
        self.to: str | None = None

    def wait(self, desk: str, now: float, reason: str) -> Hold:
        hold = Hold(desk, self.sender, self.to, now, reason)
        self.holds.append(hold)
        return hold


def _overlap(hold: Hold, start: float, end: float, horizon: float) -> float:
    stop = horizon if math.isnan(hold.end) else hold.end
    return max(0.0, min(stop, end) - max(hold.start, start))


def _path(hold: Hold, addressee: str | None, relay: str, stage: str) -> str:
    if stage != "signing" and hold.to != addressee:
        return "relay_notice" if hold.to == relay else "serial_relay"
    return "own_desk" if hold.desk == hold.to else "on_path"


def notice_holds(st: IncidentState, agency: str) -> list[Hold]:
    """The holds on ``agency``'s notice: those of the route that told it, else of every route still trying."""
    if agency in st.told_by:
        route = st.told_by[agency]
        return [] if route is None else route.holds
    return [h for route in st.routes.get(agency, ()) for h in route.holds]


def mark_blocks(st: IncidentState, rec: TaskRecord, horizon: float, awaited_notice: bool) -> None:
    """Record on ``rec`` the desk that held its hand-off longest (``blocked_*``, ``block_*``), if any.

    The owner's notice counts over [owner known, notified] (when the owner waited for it, ``awaited_notice``),
    a work order's dispatcher's notice over [available, first dispatch], the order over [last dispatch, owner
    known]; a stage not reached by the horizon runs to it (as the attribution's censored gap does)."""
    spans = []  # (stage, the agency waited for, its holds, from, to): only stages with holds (most have none)
    dispatcher = st.dispatchers.get(rec.task)
    if dispatcher is not None and not math.isnan(rec.available):
        holds = notice_holds(st, dispatcher)
        if holds:
            spans.append(("ownership", dispatcher, holds, rec.available, rec.first_dispatch))
    order = st.order_routes.get(rec.task)
    if order is not None and order.holds and not math.isnan(rec.last_dispatch):
        spans.append(("signing", None, order.holds, rec.last_dispatch, rec.owner_known))
    if awaited_notice and rec.owner is not None and not math.isnan(rec.owner_known):
        holds = notice_holds(st, rec.owner)
        if holds:
            spans.append(("notification", rec.owner, holds, rec.owner_known, rec.notified))
    if not spans:
        return
    best: tuple[float, Hold, str] | None = None
    addressee = {}
    for stage, agency, holds, start, end in spans:
        addressee[stage] = agency
        end = horizon if math.isnan(end) else min(end, horizon)  # a stage not reached runs to the horizon
        for h in holds:
            s = _overlap(h, start, end, horizon)
            if s > 0 and (best is None or s > best[0]):
                best = (s, h, stage)
    if best is None:
        return
    seconds, h, stage = best
    rec.blocked_by, rec.blocked_caller, rec.block_reason = h.desk, h.sender, h.reason
    rec.block_path, rec.block_stage = _path(h, addressee[stage], st.relay, stage), stage
    rec.blocked_time = seconds
