"""Tabletop drills (桌面推演) on the simulation engine: MSEL, sessions, role views, after-action report.

``DrillSession`` (session.py) steps one replication whose decisions come from players (policy.py),
logs every input to SQLite (store.py) and replays it after a crash; ``DrillService`` (views.py) is the
server-side API with role-based access; ``aar.py`` writes the after-action report.
"""
