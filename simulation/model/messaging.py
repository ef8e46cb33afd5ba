"""Messaging (通知/抄告): messages along the coordination graph, and who knows of what.

A message takes the quickest chain of channels (:meth:`CoordinationGraph.path`); each hop waits out the
channel's outages, its latency, loss and re-sending, then the receiving duty desk. An agency *knows* of an
incident when a notice of it has reached its desk (:meth:`Messaging.notified_event`) — agencies act only
on what reached them: a notice, a work order, or the shared platform when the arrangement uses one and the
member's link is up (:meth:`Messaging.post`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from simulation.model.context import Collaborator, Context
from simulation.model.coordination import Hop
from simulation.model.desk import Desk
from simulation.model.holds import Route

if TYPE_CHECKING:
    from simulation.model.incident import IncidentState


class Messaging(Collaborator):
    """Channels, desks and notices of one replication."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.desks: dict[str, Desk] = ctx.desks

    def at_desk(self, agency: str) -> Generator:
        """A report handled at ``agency``'s duty desk (the first report, taken in person or by phone)."""
        yield from self.desks[agency].handle(self.env)

    def send(self, src: str, dst: str, st: IncidentState | None = None, route: Route | None = None) -> Generator:
        """A message from ``src`` to ``dst``; an intake centre it passes alerts its own service; the desks it
        waits at are recorded on ``route`` (if given).

        Each hop waits out the channel's outages, its latency, loss and re-sending, then the receiving desk
        (written out here, not a generator of its own: every resume of the desk passes through each frame)."""
        env, streams = self.env, self.streams
        path = self.world.graph.path(src, dst)
        if route is not None:  # whose call, to whom (a desk on the way records its wait under both)
            route.sender, route.to = src, dst
        if path is None:
            # No channel at all: the message never arrives; the run records the consequence.
            yield env.event()
        for hop in path or ():
            spec = hop.spec
            lost = streams.uniforms("reliability", hop.key) if spec.reliability < 1.0 else None
            while True:
                for start, end in spec.down:
                    if start <= env.now < end:
                        yield env.timeout(end - env.now)
                # draw(), not a draws() callable: a channel carries one or two messages a replication
                yield env.timeout(streams.draw("latency", hop.key, spec.latency))
                if lost is None or lost() < spec.reliability:
                    break
                yield env.timeout(spec.retry_after)  # the sender notices no acknowledgement and calls again
            yield from self.desks[hop.dst].handle(env, route)
            if st is not None and hop.dst != dst and self.doctrine.passing_service(hop.dst, dst) is not None:
                self._passing_intake(st, hop.dst)

    def _passing_intake(self, st: IncidentState, centre: str) -> None:
        """A case relayed *through* 119/110/120 is taken there like any call: the centre alerts its service."""
        service = self.doctrine.intake_service(centre)
        if service is None or service in st.alerted:
            return
        st.alerted.add(service)
        if not self.notified_event(st, service).triggered:
            self.env.process(self.notify(st, centre, service))

    def notify(self, st: IncidentState, src: str, dst: str, route: Route | None = None) -> Generator:
        """Tell ``dst`` of incident ``st`` (once: a second notice to an agency that knows is not sent).

        ``route``: the desk waits this notice inherits and adds to (a relay's call list); a new one if none."""
        ev = self.notified_event(st, dst)
        if ev.triggered:
            return
        route = self.trying(st, dst, route)
        yield from self.send(src, dst, st, route)
        if not ev.triggered:
            st.told_by[dst] = route
            ev.succeed(self.env.now)
            if dst == st.lead:
                st.rec.t_notify_lead = self.env.now
            self.post(st, dst)

    def notified_event(self, st: IncidentState, agency: str) -> simpy.Event:
        """The event that fires when ``agency`` first knows of incident ``st``."""
        ev = st.notified.get(agency)
        if ev is None:
            ev = st.notified[agency] = self.env.event()
        return ev

    def trying(self, st: IncidentState, agency: str, route: Route | None = None) -> Route:
        """``route`` (or a new one) is now a way a notice may reach ``agency``: while none has, the desk waits
        on every such way are what ``agency`` waits on (:func:`holds.notice_holds`)."""
        if route is None:
            route = Route()
        ways = st.routes.get(agency)
        if ways is None:
            st.routes[agency] = [route]
            return route
        for r in ways:  # by identity: two routes with the same holds are still two ways
            if r is route:
                return route
        ways.append(route)
        return route

    def mark_known(self, st: IncidentState, agency: str, post: bool = True, route: Route | None = None) -> None:
        """``agency`` knows of ``st`` now (it took the report, or the case reached its desk — over ``route``); a
        platform member puts it on the platform unless ``post`` is false (a first report is posted once verified)."""
        ev = self.notified_event(st, agency)
        if not ev.triggered:
            st.told_by[agency] = route
            ev.succeed(self.env.now)
            if post:
                self.post(st, agency)

    # -- the shared platform (一网统管): who sees what without being phoned ---------------------------

    def post(self, st: IncidentState, agency: str) -> None:
        """The first platform member to know of a (verified) incident puts it on the shared platform; every
        other member sees it after its link's latency and its duty desk — unless its link is down then (it
        relies on the phone)."""
        links = self.world.graph.platform_links
        if st.on_platform or agency not in links:
            return
        st.on_platform = True
        for member, hop in links.items():
            if member != agency and not self.notified_event(st, member).triggered:
                self.env.process(self._platform_view(st, agency, member, hop))

    def _platform_view(self, st: IncidentState, poster: str, member: str, hop: Hop) -> Generator:
        env = self.env
        yield env.timeout(self.streams.draw("latency", f"platform:{member}", hop.spec.latency))
        if any(start <= env.now < end for start, end in hop.spec.down):
            return  # the platform is down for this member: the case does not reach it this way
        route = self.trying(st, member)
        route.sender, route.to = poster, member
        yield from self.desks[member].handle(env, route)  # somebody on duty has to read it (an empty night desk waits)
        ev = self.notified_event(st, member)
        if not ev.triggered:
            st.told_by[member] = route
            ev.succeed(env.now)
            if member == st.lead:
                st.rec.t_notify_lead = env.now
