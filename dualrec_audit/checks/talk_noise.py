"""Talk the noise hides: a party's talk continued where its mouth keeps moving (issue 32).

In a loud background (a machine hum at 10-15 dB under the voice) the soft parts of speech,
a sentence's first and last syllables, a one-syllable answer, a breath between two phrases,
lie under the noise: 20-40 % of a speaker's audible span in a quiet room is, frame by frame,
quieter than the hum there, and no voice-activity detector hears it. The speech check's
frames then stop short of the talk, and a party's sentence ends up as shorter pieces with
gaps. The mouth still shows it: the speaker's lips keep moving.

Where the speech check measured the second as noisy (its voice over the local noise floor by
less than ``TalkParams.masked_snr_db``: speech that much quieter than the voice is under the
noise), a frame with no voice activity next to one party's talk is that party's when its
mouth moves there and the other's does not, up to ``masked_reach_s`` from a frame the sound
gave to that party (growing out from the talk's edges; a gap between two runs of one party
is filled from both sides). Nothing is started by the mouths alone: a listener's lips moving
in the noise, away from their own talk, stay silent, and a voice with no moving mouth (off
screen) is not extended. In a quiet second nothing changes: there, the voice-activity
detector hears soft speech, and a mouth moving beyond it is not talking aloud.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dualrec_audit.checks.speech import FRAME_S

_PARTIES = ("staff", "customer")


def masked_frames(snr_db: Sequence[float | None], n_frames: int, max_snr_db: float) -> np.ndarray:
    """Per voice-activity frame: whether its second is noisy (voice over the local noise floor
    by less than ``max_snr_db``; a second without a measure is not)."""
    noisy = np.array([s is not None and s < max_snr_db for s in snr_db] + [False], bool)
    second = np.minimum((np.arange(n_frames) * FRAME_S).astype(int), len(noisy) - 1)
    return noisy[second]


def continue_in_noise(
    labels: list[str | None],
    masked: np.ndarray,
    moving: tuple[np.ndarray, np.ndarray],
    reach_s: float,
) -> tuple[list[str | None], int]:
    """``labels`` with each party's talk continued over the silent, masked frames where its
    mouth moves and the other's does not (see the module doc); and how many frames were added.
    ``moving``: (staff, customer) mouth moving per frame."""
    out = list(labels)
    n, reach = len(out), max(0, round(reach_s / FRAME_S))
    own = {party: moving[k] & ~moving[1 - k] for k, party in enumerate(_PARTIES)}
    added = 0
    for direction in (1, -1):
        order = range(n) if direction == 1 else range(n - 1, -1, -1)
        party: str | None = None
        left = 0
        for i in order:
            lab = labels[i]
            if lab is not None:  # a frame the sound gave: the talk to continue, if a party's
                party, left = (lab, reach) if lab in own else (None, 0)
                continue
            if party is None or left <= 0 or not masked[i] or not own[party][i]:
                party = None
                continue
            left -= 1
            if out[i] is None:
                out[i] = party
                added += 1
    return out, added
