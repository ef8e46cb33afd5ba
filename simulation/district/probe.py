"""A district file checked as the base of a scenario: a placeholder arrangement, incident type and incident.

A district holds the city, agencies, stations, units and channels, but no incidents; the scenario schema
wants at least one, so a probe incident (one call, one task) stands in while the district is validated.
"""

from __future__ import annotations

from typing import Any

PROBE = "district_probe"


def probe_document(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with whatever a scenario needs and a district lacks, filled with placeholders."""
    out = dict(doc)
    out.setdefault("name", PROBE)
    out.setdefault("description", {"zh": "辖区", "en": "district"})
    out.setdefault("horizon", 3600)
    if not out.get("agencies"):
        out["agencies"] = [{"id": "district_gov", "role": "district_government"}]
    out.setdefault("arrangement", {"name": PROBE, "incident_types": {PROBE: {
        "lead": out["agencies"][0]["id"], "tasks": {PROBE: {"lead": [out["agencies"][0]["id"]]}}}}})
    first_grid = out["city"]["explicit"]["grids"][0]["id"]
    if not out.get("incidents") and not out.get("streams"):
        out["incident_types"] = {**out.get("incident_types", {}), PROBE: {
            "detection": [{"kind": "citizen_call", "delay": 0, "report_to": out["agencies"][0]["id"]}],
            "tasks": [{"id": PROBE, "capability": _some_capability(out["agencies"])}]}}
        out["incidents"] = [{"id": PROBE, "type": PROBE, "grid": first_grid, "onset": 0}]
    out.setdefault("incident_types", {})
    return out


def _some_capability(agencies: list[dict[str, Any]]) -> str | None:
    """A capability one of the agencies has (the probe task must be doable); None if roles are unknown."""
    from agencies.catalogue import role_catalogue

    roles = role_catalogue()
    for a in agencies:
        caps = sorted(roles[a["role"]].capabilities) if a.get("role") in roles else []
        if caps:
            return caps[0]
    return None
