"""Exact analytic oracles that simulation results are checked against (queueing: Erlang, hypercube)."""
