"""The simulated networked noise sensor: scenarios, ground truth, HTTP L16 streaming."""
