"""The simulated Haiyuan park car park seen from a fixed high camera: rows of marked bays.

Coordinates are normalised (0..1, x right, y down) so the same layout serves any frame size;
:func:`spaces` gives them in the config's :class:`~whistle.config.parking.ParkingSpace` shape.
Two double rows of bays (cars nose to nose) with a driving aisle between them.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Bays per row, and the rows' top edges / bay depth (normalised).
BAYS_PER_ROW = 12
ROW_TOPS = (0.06, 0.27, 0.55, 0.76)
BAY_DEPTH = 0.2
X0, X1 = 0.05, 0.95


@dataclass(frozen=True)
class Bay:
    id: str
    x0: float
    y0: float
    x1: float
    y1: float
    #: The aisle side the car enters from: -1 = from above, +1 = from below.
    entry: int

    @property
    def polygon(self) -> list[tuple[float, float]]:
        return [(self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1), (self.x0, self.y1)]


def bays() -> list[Bay]:
    w = (X1 - X0) / BAYS_PER_ROW
    out = []
    for r, top in enumerate(ROW_TOPS):
        entry = -1 if r in (0, 2) else 1  # rows 1 and 2 face the middle aisle
        for k in range(BAYS_PER_ROW):
            out.append(
                Bay(
                    f"r{r}-{k:02d}",
                    round(X0 + k * w, 4),
                    top,
                    round(X0 + (k + 1) * w, 4),
                    round(top + BAY_DEPTH, 4),
                    entry,
                )
            )
    return out


def spaces() -> list[dict[str, object]]:
    """The bays as config dicts (``id``, ``polygon``), for a camera's ``spaces:``."""
    return [{"id": b.id, "polygon": [list(p) for p in b.polygon]} for b in bays()]
