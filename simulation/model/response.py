"""Response levels that act (分级响应): the command post, the weight of the first response, escalation and
reinforcement.

The level (I–IV, written 1–4; I is the most severe) is decided by the Policy once the report is verified.
It then acts, as the incident type's :class:`~scenarios.specs.ResponseSpec` says:

* at ``command_post_at`` or above, the arrangement's command-post lead (现场指挥部: district government,
  emergency bureau, street office … — :attr:`Arrangement.command_post`) sets up an on-scene command post
  once it knows of the incident; from then on work orders go through it and the agencies present decide
  in ``decision_factor`` of their usual time;
* ``by: command`` tasks request ``weight[level]`` × their unit count (the first alarm's weight);
* the commander looks at the hazard every ``check_every`` seconds: a hazard trigger (floors burning,
  people above AEGL-2, crowd density) or ``raise_after`` seconds without control asks the Policy to raise
  the level (a drill player can answer); a rise sends the difference in weight as reinforcement (second
  alarm, mutual aid) to the command tasks already dispatched.

Extension point: :meth:`Policy.raise_level`.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING

from scenarios.schema import TaskSpec
from simulation.model.context import Collaborator
from simulation.model.crews import crew_args
from simulation.model.policy import IncidentView, decided
from simulation.model.unit_pool import MUTUAL_AID
from simulation.model.world import Unit

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


def weighted_count(count: int, weight: dict[int, float], level: int | None) -> int:
    """Units a command task requests at ``level``: its planned count times the level's weight, rounded up."""
    w = weight.get(level, 1.0) if level is not None else 1.0
    return max(1, math.ceil(count * w - 1e-9))


class ResponseLevels(Collaborator):
    """The level of each incident in play, and what it sets in motion."""

    def start(self, st: IncidentState, level: int) -> None:
        """The level has been decided: set up the command post if it calls for one, watch the hazard."""
        st.level = st.rec.level_max = level
        st.rec.command_tier = "district"
        spec = self.sc.incident_types[st.spec.type].response
        if spec.command_post_at is not None and level <= spec.command_post_at:
            self.env.process(self._command_post(st))
        self._to_city(st, level)
        if spec.raise_after is not None or (spec.raise_when and st.hazard is not None):
            self.env.process(self._watch(st))

    def decision_time(self, st: IncidentState, agency: str, usual: float) -> float:
        """An agency present at an established command post decides faster."""
        if st.command_post is None or not st.knows(agency):
            return usual
        return usual * self.sc.incident_types[st.spec.type].response.decision_factor

    def unit_count(self, st: IncidentState, task: TaskSpec) -> int:
        if task.by != "command":
            return task.count
        return weighted_count(task.count, self.sc.incident_types[st.spec.type].response.weight, st.level)

    def _command_post(self, st: IncidentState) -> Generator:
        lead = self.doctrine.command_post_lead(st.plan, st.spec.grid) or st.lead
        ev = self.messaging.notified_event(st, lead)
        if not ev.triggered:
            yield ev  # the post's lead sets it up only once it knows of the incident
        spec = self.sc.incident_types[st.spec.type].response
        yield self.env.timeout(self.streams.draw("decision", f"{st.key}.command_post", spec.command_post_setup))
        if st.command_post is None:
            st.command_post = st.rec.command_post = lead
            st.rec.t_command_post = self.env.now

    def _to_city(self, st: IncidentState, level: int) -> None:
        """At a level the city commands (市级响应), the district reports up and the city takes over — once."""
        at = self.sc.incident_types[st.spec.type].response.city_command_at
        if at is None or level > at or st.city_up is not None:
            return
        st.city_up = self.env.event()
        self.env.process(self._city_command(st))

    def _city_command(self, st: IncidentState) -> Generator:
        """上报 → 市级指挥: whoever commands in the district tells the city's headquarters, which takes over the
        command post after its set-up time (work orders then go through it)."""
        env, msg = self.env, self.messaging
        city = self.doctrine.city_command(st.spec.grid)
        if city is None:  # verify_city_command refuses such a scenario; a drill's ad-hoc world may lack it
            return
        src = st.command_post or st.lead
        ev = msg.notified_event(st, src)
        if not ev.triggered:
            yield ev
        yield from msg.notify(st, src, city)
        spec = self.sc.incident_types[st.spec.type].response
        yield env.timeout(self.streams.draw("decision", f"{st.key}.city_command", spec.city_command_setup))
        st.command_post = st.rec.command_post = city
        st.rec.command_tier, st.rec.t_city_command = "city", env.now
        if math.isnan(st.rec.t_command_post):  # the city's post is the first one up
            st.rec.t_command_post = env.now
        assert st.city_up is not None
        st.city_up.succeed(env.now)

    def _watch(self, st: IncidentState) -> Generator:
        """The commander's periodic look at the hazard and the clock (escalation, 升级响应)."""
        env, rec, hazard, onset = self.env, st.rec, st.hazard, st.spec.onset
        spec = self.sc.incident_types[st.spec.type].response
        every, horizon, raise_after, raise_when = spec.check_every, self.sc.horizon, spec.raise_after, spec.raise_when
        fired: set[int] = set()
        timer_fired = False
        decided_at = env.now
        until = horizon - onset
        while env.now + every <= horizon:
            yield env.timeout(every)
            now = env.now
            if rec.t_control <= now:  # (NaN compares false: not under control yet)
                return  # under control: nothing more to escalate
            triggers_done = hazard is None or len(fired) == len(raise_when)
            if st.level == 1 or (triggers_done and (timer_fired or raise_after is None)):
                return  # at level I, or every trigger has fired: nothing left to watch for
            reasons = []
            if raise_after is not None and not timer_fired and now - decided_at >= raise_after:
                timer_fired = True
                reasons.append("no_control")
            if hazard is not None:
                for k, trig in enumerate(raise_when):
                    if k in fired:
                        continue
                    v = hazard.measure(trig.metric, now - onset, until)
                    if v is not None and v >= trig.at_least:
                        fired.add(k)
                        reasons.append(trig.metric)
            for reason in reasons:
                yield from self._raise(st, reason)

    def _raise(self, st: IncidentState, reason: str) -> Generator:
        view = IncidentView(st.spec.id, st.spec.type, st.spec.grid, st.spec.severity, self.env.now)
        old = st.level
        new = yield from decided(self.policy.raise_level(view, old, reason))
        if new is None or new >= old:
            return
        st.level = new
        st.rec.level_max = min(st.rec.level_max or new, new)
        spec = self.sc.incident_types[st.spec.type].response
        if spec.command_post_at is not None and new <= spec.command_post_at and old > spec.command_post_at:
            self.env.process(self._command_post(st))
        self._to_city(st, new)
        for task in self.sc.incident_types[st.spec.type].tasks:
            rec = st.tasks[task.id]
            # Dispatched (decided: its request made, met or still waiting in line) and not finished: a second alarm.
            if (task.by != "command" or task.unit is None or math.isnan(rec.decided) or rec.owner is None
                    or st.done[task.id].triggered):
                continue
            extra = weighted_count(task.count, spec.weight, new) - weighted_count(task.count, spec.weight, old)
            if extra > 0:
                self.env.process(self._reinforce(st, task, rec.owner, extra))

    def _reinforce(self, st: IncidentState, task: TaskSpec, owner: str, count: int) -> Generator:
        """A second alarm: ``count`` more units of the task's kind, from the owner (or the nearest)."""
        agencies = self.doctrine.senders(st.spec.type, task.id, owner)
        grid = self.world.citymap.index[st.spec.grid]
        req = self.pool.request(task.unit, agencies, grid, count, st.view, task.id)
        done = st.done[task.id]
        if not req.triggered:
            # The district's units are all out: the request waits for a local unit to come back — unless the city's
            # headquarters commands first and orders another district's (跨区增援), or the work ends first and the
            # second alarm is stood down (a unit assigned then would only turn back) the moment the work ends.
            yield self.pool.met_or_done(req, done, *(() if st.city_up is None else (st.city_up,)))
            if not req.triggered:
                if done.triggered:
                    return  # stood down
                if self.pool.withdraw(req):
                    req = self.env.event().succeed(MUTUAL_AID)
        units = yield req
        rec = st.tasks[task.id]
        if units is MUTUAL_AID:
            st.rec.mutual_aid = True
            st.rec.reinforcements += count
            rec.units.append("mutual_aid")
            yield self.env.timeout(self.pool.mutual_aid_delay())
            self._on_scene(st, task, count)
            return
        sent: list[Unit] = list(units)
        st.rec.reinforcements += len(sent)
        rec.units.extend(u.name for u in sent)
        assigned = self.env.now
        for u in sent:  # their own times, not the task's first alarm's (UnitUse)
            st.unit_times[u.index] = (assigned, math.nan)
        if st.done[task.id].triggered:  # the work ended while they were assigned: they turn back
            self.pool.release(sent, grid, self.ledger.unit_use_recorder(st, rec))
            return
        st.extra_units.setdefault(task.id, []).extend(sent)  # released with the task's own units
        delay, _first = self.pool.first_arrival(sent, grid)
        yield self.env.timeout(delay)
        if st.done[task.id].triggered:
            return  # the work ended on their way: released and booked then (turned back); nothing to note now
        for u in sent:
            st.unit_times[u.index] = (assigned, self.env.now)
        self._on_scene(st, task, len(sent))

    def _on_scene(self, st: IncidentState, task: TaskSpec, count: int) -> None:
        """Reinforcement on scene: crews at work take up the task's intervention with everyone now there
        (a second alarm's hose lines add to the flow); before the work starts they are counted at its start."""
        rec = st.tasks[task.id]
        if math.isnan(rec.started):
            st.crews[task.id] = st.crews.get(task.id, 0) + count
            return
        if st.done[task.id].triggered:
            return
        st.crews[task.id] = st.crews.get(task.id, 0) + count
        if task.intervention is None or st.hazard is None:
            return
        now = self.env.now
        if task.controls and not math.isnan(st.rec.t_control) and st.rec.t_control <= now:
            return  # already under control
        kw = crew_args(st.hazard, task.intervention, dict(task.intervention_args), st.crews[task.id], task.count)
        took = st.hazard.intervene(task.intervention, now - st.spec.onset, **kw)
        if task.controls and took is not None and now + took <= self.sc.horizon:
            if math.isnan(st.rec.t_control) or now + took < st.rec.t_control:
                st.rec.t_control = now + took
