"""Head yaw from the 68 landmarks, and the challenge rule, with worked examples (no models needed)."""

from __future__ import annotations

import math

import pytest

from onecity.identity.face.pose import (
    CENTER_MAX_DEG,
    TURN_MIN_DEG,
    challenge_followed,
    classify,
    pose_runs,
    yaw_degrees,
    yaw_ratio,
)


@pytest.fixture(autouse=True)
def _clean_state():  # type: ignore[no-untyped-def]
    """These tests touch neither the database nor the clock: skip the per-test wipe (slow on PostgreSQL)."""
    yield


STEPS_LR = ["center", "turn_left", "turn_right", "center"]
STEPS_RL = ["center", "turn_right", "turn_left", "center"]


def face(nose_dx: float = 0.0, roll_deg: float = 0.0) -> list[tuple[float, float]]:
    """68 landmarks of a schematic face: image-left outline (0–2) at x=100, image-right outline
    (14–16) at x=300, eyes centred at (150,150) and (250,150), nose tip at (200 + nose_dx, 200);
    the rest at the centre. Optionally rolled (tilted sideways) about (200, 200)."""
    pts = [(200.0, 200.0)] * 68
    for i in (0, 1, 2):
        pts[i] = (100.0, 150.0 + 25 * i)
    for i in (14, 15, 16):
        pts[i] = (300.0, 200.0 - 25 * (i - 14))
    for i in range(36, 42):
        pts[i] = (150.0 + (i - 38.5) * 4, 150.0)
    for i in range(42, 48):
        pts[i] = (250.0 + (i - 44.5) * 4, 150.0)
    pts[30] = (200.0 + nose_dx, 200.0)
    if roll_deg:
        c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
        pts = [(200 + (x - 200) * c - (y - 200) * s, 200 + (x - 200) * s + (y - 200) * c) for x, y in pts]
    return pts


@pytest.mark.parametrize(
    ("nose_dx", "ratio", "degrees"),
    [
        # ratio = (2·nose − left − right) / (right − left) = (2·(200+dx) − 100 − 300) / 200 = dx / 100
        (0.0, 0.0, 0.0),
        (50.0, 0.5, 30.0),  # asin(0.5) = 30°: the person turned to their left
        (-50.0, -0.5, -30.0),  # to their right
        (25.882, 0.25882, 15.0),  # sin 15° = 0.25882
        (-17.365, -0.17365, -10.0),  # sin 10° = 0.17365
        (150.0, 1.0, 90.0),  # past the outline: clamped
    ],
)
def test_yaw_worked_examples(nose_dx, ratio, degrees):
    assert yaw_ratio(face(nose_dx)) == pytest.approx(ratio, abs=1e-4)
    assert yaw_degrees(face(nose_dx)) == pytest.approx(degrees, abs=0.01)


@pytest.mark.parametrize("roll", [-25.0, 15.0, 40.0])
def test_tilting_the_head_sideways_is_not_a_turn(roll):
    assert yaw_degrees(face(0.0, roll)) == pytest.approx(0.0, abs=1e-6)
    assert yaw_degrees(face(50.0, roll)) == pytest.approx(30.0, abs=1e-6)


def test_degenerate_landmarks_are_refused():
    with pytest.raises(ValueError, match="68"):
        yaw_ratio(face()[:5])
    folded = face()
    for i in (0, 1, 2):
        folded[i] = (320.0, 150.0)
    with pytest.raises(ValueError, match="folded"):
        yaw_ratio(folded)
    same_eyes = [(200.0, 200.0)] * 68
    with pytest.raises(ValueError, match="eyes"):
        yaw_ratio(same_eyes)


@pytest.mark.parametrize(
    ("yaw", "pose"),
    [(0.0, "center"), (CENTER_MAX_DEG, "center"), (-CENTER_MAX_DEG, "center"), (CENTER_MAX_DEG + 0.1, None),
     (TURN_MIN_DEG - 0.1, None), (TURN_MIN_DEG, "left"), (30.0, "left"), (-TURN_MIN_DEG, "right"),
     (-45.0, "right")],
)
def test_classify(yaw, pose):
    assert classify(yaw) == pose


def test_pose_runs_collapse_repeats_and_drop_in_between_frames():
    assert pose_runs([0, 2, 12, 20, 25, 12, 0, -12, -20, 0]) == ["center", "left", "center", "right", "center"]


@pytest.mark.parametrize(
    ("yaws", "steps", "followed"),
    [
        ([0, 20, 0, -20, 0], STEPS_LR, True),
        ([0, 0, 12, 25, 25, 12, 0, -12, -25, -25, -12, 0, 0], STEPS_LR, True),  # in-between frames ignored
        ([0, 20, -20, 0], STEPS_LR, True),  # straight from left to right, without a frame at the centre
        ([0, -20, 0, 20, 0], STEPS_RL, True),
        ([0, -20, 0, 20, 0], STEPS_LR, False),  # the wrong order
        ([0, 20, 0, -20, 0], STEPS_RL, False),
        ([0, 0, 0, 0, 0], STEPS_LR, False),  # a still photo
        ([20, 0, -20, 0], STEPS_LR, False),  # no neutral start
        ([12, 20, 0, -20, 0], STEPS_LR, False),  # starts half-turned: the first pose seen is a turn
        ([0, 20, 0], STEPS_LR, False),  # one turn missing
        ([0, 20, 0, -20], STEPS_LR, False),  # did not come back to the centre
        ([0, 20, -20, 20, 0], STEPS_LR, False),  # an extra turn
        ([0, -20, 20, -20, 0], STEPS_RL, False),
        ([], STEPS_LR, False),
        ([0, 20, -20], ["turn_left", "turn_right"], True),  # a challenge without centre steps
        ([0, -20, 20], ["turn_left", "turn_right"], False),
    ],
)
def test_challenge_followed(yaws, steps, followed):
    assert challenge_followed(yaws, steps) is followed
