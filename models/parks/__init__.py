"""Pure people-counter computation: clean increments from totals, area occupancy, corrections."""
