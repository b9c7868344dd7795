"""``partial_fit``'s passes: recognized over repeated chunks, and anchored.

A stochastic solver fed one chunk per call ends in a cloud of iterates about
the optimum, whose size its step sets; averaging the iterates shrinks the
cloud but, with a step of constant length (Adam's), not to a point. What
makes ``fit``'s mini-batch epochs reach the optimum is variance reduction
(:class:`~skprob._training.objective.VarianceReducedBatch`, Johnson and
Zhang's SVRG): each step corrects its batch gradient with the full gradient
at an anchor, and the correction's noise vanishes at the optimum. That needs
the full objective and gradient at the anchor, which no single chunk gives.

Passes over the same chunks do give it. :class:`Passes` recognizes them:
each chunk is known by its :func:`fingerprint`, and a chunk already seen in
the current pass starts the next, so that the chunks may come in any order
in each pass. The first pass names the data set, its chunks. Over each pass
from the second on, every chunk adds its objective and gradient at the
parameters the pass started from, weighted by its rows' weights: at the end
of a pass that saw the same chunks, the sums are the full objective and
gradient there, exactly, and that point becomes the anchor of the next
pass's steps. The anchor lags a pass behind the steps, so no pass is spent on
the sums alone: each costs about three gradients of a row instead of one
(the step's, the anchor's for its batch, and the sums').

From the first anchor on, the estimator predicts with the mean of the
current pass's iterates, as each variance-reduced epoch of ``fit`` ends at
the mean of its iterates; and each anchor's loss, exact, is judged: a pass
that ended above the best anchor took too long a step (the steps' noise
vanishes at the optimum), so the next starts again from the best anchor with
the step divided by :data:`~skprob._training.stopping.LR_DECAY`. Chunks that
change (another data set, or chunks cut anew) name a new data set, and the
passes start over from plain steps.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .stopping import LR_DECAY

# Rows of a chunk's X that its fingerprint reads, evenly spaced: reading all
# of X would cost about as much as the epoch over it. y and the weights are
# read whole.
FINGERPRINT_ROWS = 64


# The most chunks a pass holds: a stream that never repeats a chunk would
# otherwise keep a fingerprint of every call (about 100 bytes each). Beyond
# this many calls without a repeat, the fingerprints kept so far are dropped
# and the counting starts over, so that passes of up to this many chunks are
# recognized and a stream keeps at most this many.
MAX_CHUNKS_PER_PASS = 100_000


def fingerprint(X, y, sample_weight):
    """A short string that tells a chunk of rows from another.

    A hash of the shapes, y and the weights whole, and
    :data:`FINGERPRINT_ROWS` rows of X. Two chunks of different rows differ
    in y or in those rows; a chunk that changed only elsewhere keeps its
    fingerprint, and the anchor built on it is off by that change for one
    pass, until the next pass's sums replace it.
    """
    # SHA-1 for speed, not security: processors with SHA extensions (most
    # x86-64 since 2017, ARMv8) hash at 2 GB/s, four times BLAKE2b, whose
    # 3 ms on W1's 200 000 rows were 5% of a partial_fit call.
    digest = hashlib.sha1(usedforsecurity=False)
    n_rows = X.shape[0]
    digest.update(repr((X.shape, str(X.dtype), type(X).__name__)).encode())
    rows = np.linspace(0, n_rows - 1, min(n_rows, FINGERPRINT_ROWS), dtype=int)
    sample = X[np.unique(rows)]
    arrays = (sample,)
    if hasattr(sample, "tocsr"):
        arrays = (sample.data, sample.indices, sample.indptr)
    for array in (*arrays, y, sample_weight):
        digest.update(np.ascontiguousarray(array).view(np.uint8))
    return digest.hexdigest()


@dataclass
class Passes:
    """The passes of ``partial_fit`` over a data set of chunks (see the module).

    Attributes
    ----------
    data_set : dict or None
        The fingerprints of the chunks of the last pass that named the data
        set (keys; a dict, for plain persistence), None before the first
        pass ended.
    current : dict
        The fingerprints of the chunks of the current pass.
    start : ndarray or None
        The parameters the current pass's sums are taken at.
    loss_sum, gradient_sum, weight_sum
        The weighted sums of the chunks' objectives and gradients at
        ``start``, and of their weights.
    anchor : tuple (params, loss, gradient) or None
        The full objective and gradient at the start of the last complete
        pass: the anchor of the current pass's steps.
    best : tuple (params, loss, gradient) or None
        The anchor of the least loss.
    judge : bool
        Whether the next anchor is judged: not the one after a decay.
    """

    data_set: dict = None
    current: dict = field(default_factory=dict)
    start: np.ndarray = None
    loss_sum: float = 0.0
    gradient_sum: np.ndarray = None
    weight_sum: float = 0.0
    anchor: tuple = None
    best: tuple = None
    judge: bool = True

    def begin_chunk(self, key, training):
        """Take the chunk of fingerprint ``key``: a new pass if already seen.

        At the end of a pass over the data set's chunks, the sums make the
        new anchor, whose loss is judged (:meth:`_anchor_here`).
        """
        if key not in self.current:
            if len(self.current) >= MAX_CHUNKS_PER_PASS:  # a stream, not passes
                self.current = {}
                self.data_set = self.anchor = self.best = None
            self.current[key] = None
            return
        if self.data_set is not None and self.current.keys() == self.data_set.keys():
            self._anchor_here(training)
        else:  # the first pass, or the chunks changed: a new data set
            self.data_set, self.anchor, self.best = self.current, None, None
        self.current = {key: None}
        self.start = training.params.copy()
        self.loss_sum, self.gradient_sum, self.weight_sum = 0.0, None, 0.0

    def _anchor_here(self, training):
        """The sums of the pass make the anchor; judge its exact loss.

        A variance-reduced step's noise vanishes at the optimum, so a pass
        whose anchor ends above the best anchor took too long a step: the
        next pass starts from the best, anchored there, with the step
        divided by :data:`~skprob._training.stopping.LR_DECAY`. The anchor
        that follows a decay is the best point again, not judged.
        """
        # Summed in float64, in the precision of the fit for the steps.
        gradient = (self.gradient_sum / self.weight_sum).astype(self.start.dtype)
        self.anchor = (self.start, self.loss_sum / self.weight_sum, gradient)
        if self.best is None or self.anchor[1] < self.best[1]:
            self.best, self.judge = self.anchor, True
        elif self.judge:
            training.lr_scale /= LR_DECAY
            # The solver restarts there too: its own iterate is where the
            # too-long steps took it.
            training.params, training.iterate = self.best[0], self.best[0].copy()
            self.anchor, self.judge = self.best, False
        else:
            self.judge = True
        # The mean of the next pass's iterates starts afresh.
        training.n_averaged = 0

    @property
    def sums(self):
        """Whether the current pass sums the objective (the data set is named)."""
        return self.data_set is not None

    def add(self, full, weight):
        """Add a chunk's objective and gradient at ``start``, by ``full``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss, gradient = full(self.start)
        gradient = weight * gradient.astype(np.float64)
        if self.gradient_sum is not None:
            gradient += self.gradient_sum
        self.loss_sum += weight * loss
        self.gradient_sum, self.weight_sum = gradient, self.weight_sum + weight
