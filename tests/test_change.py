"""checks/change.py: block changes between two pictures, outside the windows left out."""

from __future__ import annotations

import numpy as np
import pytest

from dualrec_audit.checks import change


def test_largest_block_change_outside_the_windows():
    before = np.full((720, 1280, 3), 120, np.uint8)
    after = before.copy()
    after[96:128, 192:224] = 200  # one block: 32 px here, 8 px of the 320-wide grey picture
    a, b = change.grey(before), change.grey(after)
    assert a.shape == (180, 320) and a.dtype == np.int16
    assert change.largest_change(a, a, 1280) == 0.0
    assert change.largest_change(a, b, 1280) == pytest.approx(80, abs=2)
    # Left out when a window touches the block; not when it is elsewhere.
    assert change.largest_change(a, b, 1280, [(190, 90, 240, 140)]) == 0.0
    assert change.largest_change(a, b, 1280, [(600, 90, 700, 140)]) == pytest.approx(80, abs=2)
    # Half a block changed counts half.
    half = before.copy()
    half[96:128, 192:208] = 200
    assert change.largest_change(a, change.grey(half), 1280) == pytest.approx(40, abs=2)


def test_grey_pictures_of_other_sizes_count_as_wholly_changed():
    assert change.grey(np.zeros((360, 640, 3), np.uint8)).shape == (180, 320)
    assert change.grey(np.zeros((240, 320, 3), np.uint8)).shape == (240, 320)  # not upscaled
    before, after = np.zeros((180, 320), np.int16), np.zeros((240, 320), np.int16)
    assert change.largest_change(before, after, 1280) == 255.0
