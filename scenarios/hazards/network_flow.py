"""The flux balance of the crowd network (人群网络的流量平衡), step by step, kept as a history.

One step of ``step_s``: every zone's sending and receiving capacities (Weidmann), each link's demands in its
two directions, the counterflow capacity loss, one-way rules and their breach, people who give up at a
blocked way, people leaving at the end of their path or moving on after dwelling, arrivals and metro
discharges. Amounts are moved, never created: what leaves a slot enters another slot or the outside.
See :mod:`scenarios.hazards.crowd_network` for the physics and sources.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scenarios.hazards.crowd import _flow_scalar, max_flow
from scenarios.hazards.network_layout import Layout
from scenarios.hazards.network_params import CrowdNetworkParams
from scenarios.hazards.params import RHO_MAX

TINY = 1e-12


class Controls:
    """The measures in force at a time: link rules, breaches, marshals, inflow factors, metro skip."""

    def __init__(self, p: CrowdNetworkParams, net: Layout) -> None:
        self.p, self.net = p, net
        self.direction = net.direction0.copy()
        self.police = net.police0.copy()
        self.marshals = np.zeros(net.n_links)
        self.factor = np.ones(len(p.streams))
        self.skip_at = math.inf
        self.rule_since = np.zeros(net.n_links)
        self.reset_breach: list[int] = []
        """When each link's rule was last set."""

    def apply(self, action: str, kw: dict[str, Any], t: float) -> None:
        net = self.net
        if action in ("one_way", "close_link", "open_link", "marshals"):
            for link in kw["link"]:
                self._on_link(action, net.link_index[link], kw, t)
        elif action == "restrict_inflow":
            s = kw.get("stream")
            if s is None:
                self.factor[:] = kw["factor"]
            else:
                self.factor[net.stream_index[s]] = kw["factor"]
        elif action == "skip_metro_stop":
            self.skip_at = min(self.skip_at, t)


    def _on_link(self, action: str, k: int, kw: dict[str, Any], t: float) -> None:
        if action in ("one_way", "close_link", "open_link"):
            self.rule_since[k] = t
            self.reset_breach.append(k)
        if action == "one_way":
            self.direction[k] = 1 if kw["direction"] == "a_to_b" else 2
            self.police[k] = kw.get("n", 0)
        elif action == "close_link":
            self.direction[k] = 3
        elif action == "open_link":
            self.direction[k] = 0
        elif action == "marshals":
            self.marshals[k] += kw["n"]


class Trajectory:
    """History of the network from t = 0 (rows are steps), extended on demand and cut back when a measure
    is ordered at t (the past before t stays)."""

    def __init__(self, p: CrowdNetworkParams, net: Layout) -> None:
        self.p, self.net = p, net
        self.g = net.plain()
        self.rho_c, self.j_max = max_flow()
        self.n_steps = 0
        self._alloc(1024)
        n0 = np.zeros(net.n_slots)
        # initial persons of a zone belong to the first stream whose path starts there (else: the first through it)
        for z, persons in enumerate(net.initial):
            if persons > 0:
                starts = net.first_slot[net.zone_of[net.first_slot] == z]
                slots = starts if starts.size else np.nonzero(net.zone_of == z)[0]
                if slots.size:
                    n0[slots[0]] += persons
        self.state[0] = n0
        self.arrived[0] = n0.sum()
        self._record(0, n0, [0.0] * net.n_links, [0.0] * net.n_links, [0.0] * net.crush_zones.size)
        self.breach_step = np.full(net.n_links, -1, dtype=int)

    # ---- storage --------------------------------------------------------------------------------
    def _alloc(self, rows: int) -> None:
        net = self.net
        old = getattr(self, "state", None)
        shapes = {"state": (net.n_slots,), "rho": (net.n_zones,), "pressure": (net.crush_zones.size,),
                  "crush": (net.crush_zones.size,), "persons": (), "arrived": (), "left": (), "turned_away": (),
                  "counterflow": (), "flow_ab": (net.n_links,), "flow_ba": (net.n_links,)}
        for name, shape in shapes.items():
            arr = np.zeros((rows, *shape), dtype=bool if name == "crush" else float)
            if old is not None:
                prev = getattr(self, name)
                arr[: prev.shape[0]] = prev
            setattr(self, name, arr)

    def copy(self) -> Trajectory:
        """An independent copy (a replication's own history branching off the shared one)."""
        twin = Trajectory.__new__(Trajectory)
        twin.__dict__.update(self.__dict__)
        for name in ("state", "rho", "pressure", "crush", "persons", "arrived", "left", "turned_away",
                     "counterflow", "flow_ab", "flow_ba", "breach_step"):
            setattr(twin, name, getattr(self, name).copy())
        return twin

    def truncate(self, t: float) -> None:
        """A measure ordered at ``t``: forget the steps after it (they are recomputed with the measure)."""
        k = min(self.n_steps, max(0, int(math.floor(t / self.p.step_s + 1e-9))))
        self.n_steps = k
        self.breach_step[self.breach_step >= k] = -1

    # ---- stepping --------------------------------------------------------------------------------
    def extend(self, t_end: float, log: list[Any]) -> None:
        """Compute the steps up to ``t_end`` under the measures in ``log`` (the model's interventions)."""
        p = self.p
        steps = int(math.ceil(t_end / p.step_s - 1e-9))
        if steps <= self.n_steps:
            return
        if steps + 1 > self.state.shape[0]:
            self._alloc(max(steps + 1, 2 * self.state.shape[0]))
        k = self.n_steps
        ctl = self._controls_at(k, log)
        pending = [i for i in log if i.t > k * p.step_s + 1e-9]
        n = [float(x) for x in self.state[k]]
        while k < steps:
            t = k * p.step_s
            while pending and pending[0].t <= t + 1e-9:
                item = pending.pop(0)
                ctl.apply(item.action, item.kw, item.t)
                for li in ctl.reset_breach:  # a new rule: its first breach is still to come
                    self.breach_step[li] = -1
                ctl.reset_breach.clear()
            n = self._step(k, n, ctl)
            k += 1
        self.n_steps = steps

    def _controls_at(self, k: int, log: list[Any]) -> Controls:
        ctl = Controls(self.p, self.net)
        t = k * self.p.step_s
        for item in log:
            if item.t <= t + 1e-9:
                ctl.apply(item.action, item.kw, item.t)
                for li in ctl.reset_breach:  # a new rule: its first breach is still to come
                    self.breach_step[li] = -1
                ctl.reset_breach.clear()
        return ctl

    def _arrival_rates(self, t: float, ctl: Controls) -> list[float]:
        p = self.p
        rates = [0.0] * len(p.streams)
        for s, stream in enumerate(p.streams):
            for step in stream.arrivals:
                if step.t <= t:
                    rates[s] = step.rate_p_s * ctl.factor[s]
        m = p.metro
        if m is not None and m.passengers:
            last = min(m.last_s if m.last_s is not None else math.inf, ctl.skip_at - 1e-9)
            if t >= m.first_s:
                j_now = math.floor((t - m.first_s) / m.headway_s)
                j_lo = max(0, math.floor((t - m.discharge_s - m.first_s) / m.headway_s) + 1)
                active = sum(1 for j in range(j_lo, j_now + 1) if m.first_s + j * m.headway_s <= last)
                rates[self.net.stream_index[m.stream]] += active * m.passengers / m.discharge_s
        return rates

    def _step(self, k: int, n: list[float], ctl: Controls) -> list[float]:
        """One step in plain floats (a network has tens of slots: numpy's per-call cost would dominate)."""
        p, g, dt = self.p, self.g, self.p.step_s
        rho_c, j_max, stall = self.rho_c, self.j_max, p.stalled_exit_fraction * self.j_max
        persons = [0.0] * g.n_zones
        for s, z in enumerate(g.zone_of):
            persons[z] += n[s]
        rho = [min(persons[z] / g.area[z], RHO_MAX) for z in range(g.n_zones)]
        flow = [_flow_scalar(r) for r in rho]
        send = [f if r <= rho_c else max(f, stall) for r, f in zip(rho, flow)]
        recv = [j_max if r <= rho_c else f for r, f in zip(rho, flow)]

        # one-way rules: the blocked direction leaks once the crowd facing the rule is denser than its officers
        # can hold, more the denser it gets (a cordon yields progressively); closed links do not leak
        d = ctl.direction
        leak = [0.0] * g.n_links
        for li in range(g.n_links):
            if d[li] in (1, 2):
                facing = g.link_b[li] if d[li] == 1 else g.link_a[li]
                hold = p.cordon_breach_density + p.cordon_police_density * (ctl.police[li] + ctl.marshals[li])
                leak[li] = min(1.0, max(0.0, (rho[facing] - hold) / p.cordon_yield_density))
        passing = [1.0] * g.n_slots  # share of a stream's demand its way lets through
        for s in g.moving:
            li, fwd = g.link_of[s], g.forward[s]
            if g.exit_width[g.zone_of[s]] <= 0.0:
                continue  # people already on a stair or landing with no other way off are let through
            if d[li] == 3 or (d[li] == 1 and not fwd) or (d[li] == 2 and fwd):
                passing[s] = leak[li]
                if leak[li] > 0.0 and n[s] > TINY and self.breach_step[li] < 0:
                    self.breach_step[li] = k

        # demands per link and direction; counterflow loss; capacity shared in proportion to demand
        share = [n[s] / persons[z] if persons[z] > TINY else 0.0 for s, z in enumerate(g.zone_of)]
        heading: dict[tuple[int, bool], float] = {}
        for s in g.moving:
            key = (g.link_of[s], g.forward[s])
            heading[key] = heading.get(key, 0.0) + n[s]

        def way_send(s: int, z: int, width: float, crowd: float) -> float:
            """Persons/s slot ``s`` sends through a way of ``width`` that ``crowd`` people of zone ``z`` head for.
            A zone no bigger than the strip in front of the way (width × front depth) is all front: each stream
            sends its share of W·S(ρ). In a larger zone the people heading for the way gather in that strip: a
            queue on a free-flowing plaza discharges at most W·J_max, a congested plaza at W·S(ρ)."""
            strip = width * p.front_depth_m
            if g.area[z] <= strip:
                return share[s] * width * send[z]
            if crowd <= TINY:
                return 0.0
            rho_front = crowd / strip
            if rho[z] > rho_c:
                rate = width * send[z] * min(1.0, rho_front / rho[z])
            else:
                rate = width * _flow_scalar(min(rho_front, rho_c))
            return rate * n[s] / crowd

        dem = [0.0] * g.n_slots
        d_f, d_b = [0.0] * g.n_links, [0.0] * g.n_links
        for s in g.moving:
            if passing[s] > 0.0:
                li, z = g.link_of[s], g.zone_of[s]
                dem[s] = passing[s] * way_send(s, z, g.width[li], heading[(li, g.forward[s])])
                if g.forward[s]:
                    d_f[li] += dem[s]
                else:
                    d_b[li] += dem[s]
        q_f, q_b = [0.0] * g.n_links, [0.0] * g.n_links
        for li in range(g.n_links):
            total = d_f[li] + d_b[li]
            if total <= TINY:
                continue
            r = min(d_f[li], d_b[li]) / total
            kappa = p.counterflow_loss * max(0.0, 1.0 - p.marshal_order_gain * ctl.marshals[li])
            cap = g.width[li] * j_max * (1.0 - kappa * 4.0 * r * (1.0 - r))
            q_f[li] = min(d_f[li], cap * d_f[li] / total, g.width[li] * recv[g.link_b[li]])
            q_b[li] = min(d_b[li], cap * d_b[li] / total, g.width[li] * recv[g.link_a[li]])

        # per slot: moving on, giving up at a blocked way, leaving at the path's end, moving on after dwelling
        move = [0.0] * g.n_slots
        gone = [0.0] * g.n_slots
        transfer = [0.0] * g.n_slots
        for s, z in enumerate(g.zone_of):
            li = g.link_of[s]
            if li >= 0 and dem[s] > 0.0:
                dd, qq = (d_f[li], q_f[li]) if g.forward[s] else (d_b[li], q_b[li])
                move[s] = dem[s] * qq / dd * dt
            if passing[s] < 1.0 or (li < 0 and g.then_slot[s] < 0):  # held back (in part) or at the path's end
                held = 1.0 - passing[s] if li >= 0 else 1.0
                gone[s] = held * way_send(s, z, g.exit_width[z], n[s]) * dt if g.exit_width[z] > 0 else 0.0
            elif li < 0:
                transfer[s] = n[s] / g.dwell[s] * dt
            out = move[s] + gone[s] + transfer[s]
            if out > n[s]:
                f = n[s] / out
                move[s] *= f
                gone[s] *= f
                transfer[s] *= f
        # no zone above the jam density: inflows into a full zone are cut back (they stay where they were)
        inflow = [0.0] * g.n_zones
        for s in g.moving:
            inflow[g.next_zone[s]] += move[s]
        for s in g.moving:
            z = g.next_zone[s]
            room = max(RHO_MAX * g.area[z] - persons[z], 0.0)
            if inflow[z] > room:
                move[s] *= room / inflow[z]
        new = [n[s] - move[s] - gone[s] - transfer[s] for s in range(g.n_slots)]
        for s in g.moving:
            new[s + 1] += move[s]
        for s in g.transferring:
            new[g.then_slot[s]] += transfer[s]

        # arrivals (walk-ins and metro), admitted while the first zone has room
        want = self._arrival_rates(k * dt, ctl)
        after = [0.0] * g.n_zones
        for s, z in enumerate(g.zone_of):
            after[z] += new[s]
        asked = [0.0] * g.n_zones
        for st, slot in enumerate(g.first_slot):
            asked[g.zone_of[slot]] += want[st] * dt
        admitted = 0.0
        for st, slot in enumerate(g.first_slot):
            z = g.zone_of[slot]
            a = want[st] * dt
            if a > 0.0:
                free = max(RHO_MAX * g.area[z] - after[z], 0.0)
                if asked[z] > free:
                    a *= free / asked[z]
                new[slot] += a
                admitted += a
        new = [x if x > 0.0 else 0.0 for x in new]

        # pressure on stairs and landings: demand held back at links leading into them, per metre of width
        pressure = []
        for z in g.crush_zones:
            push = sum(d_f[li] - q_f[li] for li in g.links_in_b[z]) + sum(d_b[li] - q_b[li] for li in g.links_in_a[z])
            pressure.append(push / g.width_at[z] if g.width_at[z] > 0 else 0.0)
        row = k + 1
        self.state[row] = new
        self._record(row, new, q_f, q_b, pressure)
        self.arrived[row] = self.arrived[k] + admitted
        self.left[row] = self.left[k] + sum(gone)
        self.turned_away[row] = self.turned_away[k] + sum(want) * dt - admitted
        return new

    def _record(self, k: int, n: Any, q_f: Any, q_b: Any, pressure: Any) -> None:
        net = self.net
        persons = np.bincount(net.zone_of, np.asarray(n, dtype=float), minlength=net.n_zones)
        rho = persons / net.area
        self.rho[k] = rho
        self.persons[k] = persons.sum()
        self.pressure[k] = pressure
        crush = rho[net.crush_zones]
        self.crush[k] = (crush >= self.p.critical_density) & (np.asarray(pressure) >= self.p.crush_pressure)
        self.flow_ab[k] = q_f
        self.flow_ba[k] = q_b
        self.counterflow[k] = max((min(a, b) / (a + b) for a, b in zip(q_f, q_b) if a + b > TINY), default=0.0)
