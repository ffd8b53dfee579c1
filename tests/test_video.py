"""Video quality on real pictures: blur judged against the recording's own sharpness. A clip
like the samples, with a sigma = 8 px Gaussian blur over 8 s, is built at test time from the
shared media with the samples' compositor, then audited by the real pipeline."""

from __future__ import annotations

import pytest

from dualrec_audit.checks.video import VideoParams

from .conftest import build_samples_module, media


@pytest.fixture(scope="module")
def blurred(tmp_path_factory, pipeline):
    bs = build_samples_module()
    src = media("video/grid_bbaf2n.mpg").parent.parent
    path = tmp_path_factory.mktemp("blur") / "blurred.mp4"
    bs.build_clip(path, src, bs.Defect("blur", None, 6.0, 14.0))
    return pipeline.apply(path)


def test_an_8_s_blur_of_a_sharp_recording_is_found(blurred):
    blur = [e for e in blurred.events if e.check == "blur"]
    assert len(blur) == 1
    assert blur[0].start == pytest.approx(6.0, abs=0.5) and blur[0].end == pytest.approx(
        14.0, abs=0.5
    )
    details = blurred.checks["video"].details
    # Far above the fixed floor of 12 that missed it: the recording's own level decides.
    assert details["blur_below"] > 10 * VideoParams().blur_sharpness
    # Both are rounded to 0.1: 0.4 x the rounded level may differ from the rounded floor.
    assert details["blur_below"] == pytest.approx(0.4 * details["sharp_level"], abs=0.1)
    # Layer 2: a medium finding of its own, the recording goes to review (not approved).
    (f,) = [f for f in blurred.findings if f.rule == "event.blur"]
    assert f.severity == "medium" and (f.start, f.end) == (blur[0].start, blur[0].end)
    assert blurred.decision != "approve"


def test_sharp_samples_have_no_blur(sample_results):
    for name, result in sample_results.items():
        assert not [e for e in result.events if e.check == "blur"], name
        level = result.checks["video"].details["sharp_level"]
        assert level > 200, (name, level)
