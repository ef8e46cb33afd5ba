"""Scenarios layer: the scenario schema, loader, hazard models and the bundled scenario library."""
