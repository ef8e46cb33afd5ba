"""Arrangement diff (职责安排对比) and responsibility matrix — pure functions of :class:`Arrangement`.

``diff_rows(a, b)`` lists, per incident type and task, who leads, assists and is informed, how the
lead is found, how notifications fan out, whether the intake centre alerts its own service at once
(``intake_direct``), the grid model, the platform and the dispatch rule in both arrangements, flagging
the rows that differ. ``responsibility_matrix`` gives the tasks × roles table a
planner reads as 牵头 / 协助 / 知会 (lead / assist / informed).
"""

from __future__ import annotations

from dataclasses import dataclass

from agencies.arrangement import Arrangement

ALL = "*"
"""Incident type or task column of a row that applies to the whole arrangement (or incident type)."""

ARRANGEMENT_FIELDS = ("fan_out", "grid_model", "platform", "relay", "intake_direct", "dispatch",
                      "command_post", "work_order_dispatcher", "whistle", "escalation_decision")
TASK_FIELDS = ("lead", "assist", "informed", "dispatch")


@dataclass(frozen=True)
class DiffRow:
    """One compared field; ``a`` and ``b`` are display strings (``—`` for nothing)."""

    incident_type: str
    task: str
    field: str
    a: str
    b: str

    @property
    def changed(self) -> bool:
        return self.a != self.b


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _relay(arr: Arrangement) -> str | None:
    # ``relay: null`` means the incident lead relays; say so rather than show an empty cell.
    return arr.relay if arr.relay is not None else "(incident lead)"


def _top(arr: Arrangement, name: str) -> object:
    return _relay(arr) if name == "relay" else getattr(arr, name)


def _task_value(arr: Arrangement, itype: str, task: str, name: str) -> object:
    it = arr.incident_types.get(itype)
    if it is None or task not in it.tasks:
        return None
    ta = it.tasks[task]
    if name == "dispatch":
        return ta.dispatch or arr.dispatch  # the rule that applies, override or default
    if name == "lead":
        if not ta.lead:
            return "(none)"
        return ta.lead
    return getattr(ta, name)


def diff_rows(a: Arrangement, b: Arrangement, changed_only: bool = False) -> list[DiffRow]:
    """Rows comparing ``a`` with ``b``: arrangement-wide settings, then per incident type and task."""
    rows = [DiffRow(ALL, ALL, f, _show(_top(a, f)), _show(_top(b, f))) for f in ARRANGEMENT_FIELDS]
    itypes = list(a.incident_types) + [t for t in b.incident_types if t not in a.incident_types]
    for it in itypes:
        ia, ib = a.incident_types.get(it), b.incident_types.get(it)
        rows.append(DiffRow(it, ALL, "lead", _show(ia.lead if ia else None), _show(ib.lead if ib else None)))
        rows.append(
            DiffRow(it, ALL, "informed", _show(ia.informed if ia else None), _show(ib.informed if ib else None))
        )
        tasks = list(ia.tasks if ia else ()) + [t for t in (ib.tasks if ib else ()) if not ia or t not in ia.tasks]
        for task in tasks:
            for f in TASK_FIELDS:
                rows.append(
                    DiffRow(it, task, f, _show(_task_value(a, it, task, f)), _show(_task_value(b, it, task, f)))
                )
    return [r for r in rows if r.changed] if changed_only else rows


LEAD, ASSIST, INFORMED = "L", "A", "I"
CELL_NAMES = {LEAD: ("牵头", "lead"), ASSIST: ("协助", "assist"), INFORMED: ("知会", "informed")}


def responsibility_matrix(arr: Arrangement, incident_type: str) -> tuple[list[str], list[tuple[str, dict[str, str]]]]:
    """Roles (columns) and, per task (rows), each role's part: ``L`` lead, ``A`` assist, ``I`` informed.

    The incident-level lead and informed appear as a first row named ``*``; a task with two leads shows
    ``L`` twice (disputed), a task with none shows no ``L`` at all (ownerless).
    """
    it = arr.incident_types[incident_type]
    roles: list[str] = []

    def add(r: str) -> None:
        if r not in roles:
            roles.append(r)

    rows: list[tuple[str, dict[str, str]]] = []
    top: dict[str, str] = {it.lead: LEAD}
    for r in it.informed:
        top.setdefault(r, INFORMED)
    rows.append((ALL, top))
    for task, ta in it.tasks.items():
        cells: dict[str, str] = {}
        for r in ta.lead:
            cells[r] = LEAD
        for r in ta.assist:
            cells.setdefault(r, ASSIST)
        for r in ta.informed:
            cells.setdefault(r, INFORMED)
        rows.append((task, cells))
    for _, cells in rows:
        for r in cells:
            add(r)
    return roles, rows


def ambiguous_tasks(arr: Arrangement) -> list[tuple[str, str, int]]:
    """(incident type, task, number of leads) for every task without exactly one lead (扯皮 / 无主)."""
    return [(it, task, len(ta.lead)) for it, ia in arr.incident_types.items()
            for task, ta in ia.tasks.items() if len(ta.lead) != 1]
