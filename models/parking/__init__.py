"""Pure car park computation: per-space occupied/free from a fixed camera's frames."""
