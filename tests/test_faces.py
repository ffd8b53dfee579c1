"""Faces check on real photos and the sample videos, with the real bundled models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dualrec_audit.checks.face_detect import Face, FaceDetector, LandmarkExtent, _padded_crop
from dualrec_audit.checks.faces import FaceParams, FacesCheck, cut_sides, keypoint_extent
from dualrec_audit.models.registry import ModelStore

from .conftest import media


@pytest.fixture(scope="module")
def model_paths(isolated_models_env):
    store = ModelStore()
    return store.locate("yunet").path, store.locate("face_landmarker").path


@pytest.fixture(scope="module")
def detector(model_paths):
    return FaceDetector(model_paths[0])


@pytest.fixture(scope="module")
def mesh(model_paths):
    return LandmarkExtent(model_paths[1])


def image(name: str) -> np.ndarray:
    img = cv2.imread(str(media(f"images/{name}.jpg")))
    assert img is not None
    return img


def counter_scene(face_height: int, *, customer: bool = True) -> np.ndarray:
    """A 1280x720 picture with the two people of two_people.jpg seated far apart, each face
    about ``face_height`` px tall (the photo's faces are about 210 px)."""
    src = image("facerec_two_people")
    scale = face_height / 210
    small = cv2.resize(src, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((720, 1280, 3), (180, 190, 200), np.uint8)
    h, w = small.shape[:2]
    left, right = small[:, : w // 2], small[:, w // 2 :]
    canvas[300 : 300 + h, 250 : 250 + left.shape[1]] = left
    if customer:
        canvas[300 : 300 + h, 900 : 900 + right.shape[1]] = right
    return canvas


def test_two_faces_in_two_people(detector, mesh):
    img = image("facerec_two_people")
    faces = detector.detect(img)
    assert len(faces) == 2
    h, w = img.shape[:2]
    for f in faces:
        ext = mesh.extent(img, f)
        assert ext is not None
        assert cut_sides(ext, w, h, FaceParams()) == ()


@pytest.mark.parametrize(
    ("name", "side"),
    [("facerec_obama_partial_face", "left"), ("facerec_obama_partial_face2", "right")],
)
def test_partial_faces_are_cut_on_the_right_side(detector, mesh, name, side):
    img = image(name)
    h, w = img.shape[:2]
    faces = detector.detect(img)
    assert len(faces) == 1
    ext = mesh.extent(img, faces[0])
    assert ext is not None
    # The mesh extends past the frame edge where the face is cut off.
    assert ext["left"] < 0 if side == "left" else ext["right"] > w
    assert cut_sides(ext, w, h, FaceParams()) == (side,)


@pytest.mark.parametrize("name", ["facerec_obama", "facerec_biden"])
def test_full_faces_are_not_cut(detector, mesh, name):
    img = image(name)
    h, w = img.shape[:2]
    (face,) = detector.detect(img)
    assert cut_sides(mesh.extent(img, face), w, h, FaceParams()) == ()
    assert cut_sides(keypoint_extent(face), w, h, FaceParams()) == ()


def test_chin_cut_by_bottom_edge(detector, mesh):
    img = image("facerec_obama")
    (face,) = detector.detect(img)
    _, y, _, bh = face.box
    cropped = img[: int(y + bh * 0.8)]  # the frame ends above the chin
    faces = detector.detect(cropped)
    assert len(faces) == 1
    ext = mesh.extent(cropped, faces[0])
    assert "bottom" in cut_sides(ext, cropped.shape[1], cropped.shape[0], FaceParams())


def test_hair_cut_by_top_edge(detector, mesh):
    img = image("facerec_obama")
    (face,) = detector.detect(img)
    cropped = img[int(face.box[1] + face.box[3] * 0.12) :]  # the frame starts at the brow
    faces = detector.detect(cropped)
    assert len(faces) == 1
    ext = mesh.extent(cropped, faces[0])
    assert "top" in cut_sides(ext, cropped.shape[1], cropped.shape[0], FaceParams())


def test_finds_40px_faces_in_720p(detector):
    faces = detector.detect(counter_scene(40))
    assert len(faces) == 2
    for f in faces:
        assert 30 <= f.box[3] <= 55


def test_parties_assigned_by_side_and_absence_reported(model_paths):
    check = FacesCheck(*model_paths, sample_step=0.5)
    both, staff_only = counter_scene(80), counter_scene(80, customer=False)
    for i in range(20):  # 10 s at 2 samples/s; the customer leaves from 4 s to 8 s
        check.update(i * 0.5, staff_only if 8 <= i < 16 else both)
    result = check.finish(10.0)
    events = [(e.check, e.party, e.start, e.end) for e in result.events]
    assert events == [("party_absent", "customer", 4.0, 8.0)]
    tracks = result.details["tracks"]
    assert {p for _, p, *_ in tracks} == {"staff", "customer"}
    assert all((x < 640) == (p == "staff") for _, p, x, *_ in tracks)
    assert result.timeline[5] == 0.0 and result.timeline[0] == 1.0
    assert result.details["presence"] == {"staff": 1.0, "customer": 0.6}


def test_staff_side_is_configurable(model_paths):
    check = FacesCheck(*model_paths, FaceParams(staff_side="right"), sample_step=0.5)
    check.update(0.0, counter_scene(80))
    tracks = check.finish(1.0).details["tracks"]
    assert all((x > 640) == (p == "staff") for _, p, x, *_ in tracks)


def test_small_faces_flagged(model_paths):
    check = FacesCheck(*model_paths, sample_step=0.5)
    for i in range(8):
        check.update(i * 0.5, counter_scene(36))
    checks = {(e.check, e.party) for e in check.finish(4.0).events}
    assert checks == {("face_small", "staff"), ("face_small", "customer")}


def test_extra_person_flagged(model_paths):
    check = FacesCheck(*model_paths, sample_step=0.5)
    scene = counter_scene(80)
    crowd = scene.copy()
    crowd[60:300, 560:760] = cv2.resize(image("facerec_obama")[80:480, 330:650], (200, 240))
    for i in range(10):
        check.update(i * 0.5, crowd if i >= 4 else scene)
    events = [(e.check, e.start) for e in check.finish(5.0).events]
    assert events == [("extra_person", 2.0)]


def test_found_near_where_it_was_as_in_the_whole_picture(detector):
    scene = counter_scene(126)
    whole = sorted(detector.detect(scene, 320), key=lambda f: f.box[0])
    assert len(whole) == 2
    for face in whole:
        near = detector.detect_near(scene, face, 2.0, 96)
        assert len(near) == 1  # the other face is outside the window
        assert near[0].box == pytest.approx(face.box, abs=0.08 * face.box[3])
        assert np.allclose(near[0].keypoints, face.keypoints, atol=0.12 * face.box[3])
    # At the picture's edge the window is padded: the face is still found, in picture terms.
    edge = np.roll(scene, -250, axis=1)
    left = min(detector.detect(edge, 320), key=lambda f: f.box[0])
    near = detector.detect_near(edge, left, 2.0, 96)
    assert len(near) == 1 and near[0].box[0] == pytest.approx(left.box[0], abs=12)


def test_large_faces_tracked_between_full_detections(model_paths):
    """Two large faces drifting across the picture: every full_every-th sample searches the
    whole picture, the others only around each face, and the faces are followed as closely
    as by searching the whole picture every time."""
    frames = [np.roll(counter_scene(126), 6 * i, axis=1) for i in range(12)]
    # No full detection put off (the plain background would let them all be).
    tracked = FacesCheck(*model_paths, FaceParams(change_gate=0), sample_step=0.5)
    whole = FacesCheck(*model_paths, FaceParams(track_size=0), sample_step=0.5)
    for i, frame in enumerate(frames):
        tracked.update(i * 0.5, frame)
        whole.update(i * 0.5, frame)
    a, b = tracked.finish(6.0), whole.finish(6.0)
    assert a.details["tracked"] == 9 and a.details["full_detections"] == 3
    assert b.details["tracked"] == 0
    assert a.events == b.events == ()
    for ta, tb in zip(a.details["tracks"], b.details["tracks"], strict=True):
        assert ta[:2] == tb[:2]  # same time, same party
        assert ta[2:] == pytest.approx(tb[2:], abs=10)  # box within 10 px (faces 126 px)
    xs = [x for t, p, x, *_ in a.details["tracks"] if p == "staff"]
    assert xs[-1] - xs[0] == pytest.approx(66, abs=8)  # followed the 11 x 6 px drift


def newcomer_scene(present: bool) -> np.ndarray:
    """counter_scene(126) with, when ``present``, a third person's face about 55 px high
    between the two parties, further back."""
    scene = counter_scene(126)
    if present:
        scene[90:156, 610:665] = cv2.resize(image("facerec_obama")[80:480, 330:650], (55, 66))
    return scene


def test_full_detection_put_off_while_nothing_moves_outside_the_faces(model_paths):
    """Two tracked parties in a still picture: the due full detections are put off, but one
    runs every full_every_still-th sample; the faces and events are those of searching the
    whole picture on schedule."""
    gated = FacesCheck(*model_paths, sample_step=0.5)
    plain = FacesCheck(*model_paths, FaceParams(change_gate=0), sample_step=0.5)
    for i in range(20):
        frame = newcomer_scene(False)
        gated.update(i * 0.5, frame)
        plain.update(i * 0.5, frame)
    a, b = gated.finish(10.0), plain.finish(10.0)
    assert FaceParams().full_every_still == 16
    # Due at 0, 4, 8, 12, 16: 4-12 put off, 16 is the 16th sample since the last one.
    assert (a.details["full_detections"], a.details["put_off"]) == (2, 3)
    assert (b.details["full_detections"], b.details["put_off"]) == (5, 0)
    assert a.events == b.events == ()
    for ta, tb in zip(a.details["tracks"], b.details["tracks"], strict=True):
        assert ta[:2] == tb[:2] and ta[2:] == pytest.approx(tb[2:], abs=8)


def test_newcomer_found_when_due_as_without_putting_off(model_paths):
    """A third person coming in changes the picture outside the parties' faces: the next due
    full detection runs and finds them, as it would have without the change test."""
    gated = FacesCheck(*model_paths, sample_step=0.5)
    plain = FacesCheck(*model_paths, FaceParams(change_gate=0), sample_step=0.5)
    for i in range(16):
        frame = newcomer_scene(i >= 5)
        gated.update(i * 0.5, frame)
        plain.update(i * 0.5, frame)
    a, b = gated.finish(8.0), plain.finish(8.0)
    assert a.details["put_off"] == 1  # sample 4, before the newcomer
    assert [(e.check, e.start) for e in a.events] == [("extra_person", 4.0)]  # sample 8
    assert a.events == b.events


def test_no_tracking_while_a_party_is_missing(model_paths):
    """With one party out of the picture the whole picture is searched every sample, so the
    party is seen again as soon as it comes back."""
    check = FacesCheck(*model_paths, sample_step=0.5)
    both, staff_only = counter_scene(126), counter_scene(126, customer=False)
    for i in range(10):
        check.update(i * 0.5, staff_only if i < 5 else both)
    result = check.finish(5.0)
    assert [(e.check, e.party, e.end) for e in result.events] == [("party_absent", "customer", 2.5)]
    assert result.details["tracked"] == 3  # samples 6, 7 and 9: both in view again


def test_turned_face_from_keypoints():
    frontal = Face(
        (100, 100, 100, 120), 0.9, ((130, 150), (170, 150), (150, 175), (135, 195), (165, 195))
    )
    profile = Face(
        (100, 100, 100, 120), 0.9, ((130, 150), (150, 150), (168, 175), (135, 195), (150, 195))
    )
    assert abs(keypoint_extent(frontal)["yaw"]) < 0.1
    assert abs(keypoint_extent(profile)["yaw"]) > FaceParams().turned_yaw


def test_a_square_inside_the_picture_is_read_in_place_and_one_across_its_edge_is_padded():
    image = np.arange(40 * 60 * 3, dtype=np.uint32).reshape(40, 60, 3).astype(np.uint8)
    inside = _padded_crop(image, 10, 5, 20)
    assert inside is not None and np.shares_memory(inside, image)
    assert np.array_equal(inside, image[5:25, 10:30])
    edge = _padded_crop(image, 50, -5, 20)  # 10 columns and 15 rows inside the picture
    assert edge is not None and edge.shape == (20, 20, 3) and not np.shares_memory(edge, image)
    assert np.array_equal(edge[5:, :10], image[0:15, 50:60])
    assert not edge[:5].any() and not edge[:, 10:].any()
    assert _padded_crop(image, 70, 0, 10) is None  # beside the picture
