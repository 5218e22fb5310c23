"""Simulated bidirectional gate counters: visitor flows, vendor-format reports, faults, truth."""
