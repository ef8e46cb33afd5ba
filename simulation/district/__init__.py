"""The planner's own district (辖区导入): grid polygons, roads, stations, rosters, contacts and the
responsibility list, read from GIS and office files into one district file that scenarios extend.

A room of its own beside ``experiments`` and ``drill``: it imports ``simulation.model`` (for travel
times) and the schema, and only ``simulation.faces`` imports it.
"""
