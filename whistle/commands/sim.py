"""`whistle sim`: the simulated devices (noise sensors, cameras, people counters).

Each simulator package contributes its own subcommands through ``firmware_sim.<kind>.cli``.
"""

from __future__ import annotations

import argparse
import importlib

SIMULATOR_CLIS = (
    "firmware_sim.noise.cli",
    "firmware_sim.camera.cli",
    "firmware_sim.counters.cli",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "sim",
        help="run or render simulated devices",
        description=(
            "Simulated devices that speak the same interfaces as the real ones (an L16 audio "
            "stream, an MJPEG IP camera, gate counters pushing their vendor format), with "
            "scripted scenarios and their ground truth."
        ),
    )
    kinds = p.add_subparsers(dest="sim_kind", metavar="DEVICE", required=True)
    for name in SIMULATOR_CLIS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that simulator is not part of this checkout
            raise
        module.register(kinds)
