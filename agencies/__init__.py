"""Agencies layer: the role catalogue and responsibility arrangements (pure domain, no simulation)."""
