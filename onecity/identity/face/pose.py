"""Head pose from the 68 dlib landmarks, and whether a head-movement challenge was followed.

Pure functions (no models, no session), tested with worked examples in tests/identity/face/test_pose.py.

Glossary: 偏航角 → yaw (left/right rotation of the head), 转头 → head turn, 活体检测 → liveness check.

Directions are the person's own: "turn_left" means the person turns their head to their left. The
frames are the camera's raw (unmirrored) images, in which the person's left is the image's right, so
a turn to the left moves the nose towards larger x. (The page mirrors only its preview, never the
frames it sends.)

The 68-point layout (iBUG 300-W): 0–16 face outline from the image-left ear to the image-right ear,
27–30 nose bridge down to the tip, 36–41 image-left eye, 42–47 image-right eye.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Point = tuple[float, float]
Pose = Literal["center", "left", "right"]
Step = Literal["center", "turn_left", "turn_right"]

NOSE_TIP = 30
LEFT_OUTLINE = (0, 1, 2)  # image-left side of the outline, from ear level to nose level
RIGHT_OUTLINE = (14, 15, 16)
LEFT_EYE = range(36, 42)
RIGHT_EYE = range(42, 48)

# A face within ±CENTER_MAX_DEG counts as looking straight ahead; a turn must reach TURN_MIN_DEG.
# Between the two a frame is "on the way" and is ignored. The HOG frontal detector loses the face
# beyond about 35–40°, so the asked turn stays well inside that.
CENTER_MAX_DEG = 10.0
TURN_MIN_DEG = 15.0

STEP_POSE: dict[str, Pose] = {"center": "center", "turn_left": "left", "turn_right": "right"}


def _mean(points: Sequence[Point], idx: Sequence[int] | range) -> Point:
    xs = [points[i][0] for i in idx]
    ys = [points[i][1] for i in idx]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def yaw_ratio(landmarks: Sequence[Point]) -> float:
    """Where the nose tip sits between the two sides of the face outline, in [-1, 1].

    0 is a frontal face; +1 the nose on the image-right edge of the outline (the person turned to
    their left), -1 on the image-left edge. Positions are measured along the line through the eye
    centres, so tilting the head sideways (roll) does not read as a turn.
    """
    if len(landmarks) != 68:
        raise ValueError("expected the 68 dlib landmarks")
    le = _mean(landmarks, LEFT_EYE)
    re = _mean(landmarks, RIGHT_EYE)
    ax, ay = re[0] - le[0], re[1] - le[1]
    norm = math.hypot(ax, ay)
    if norm == 0:
        raise ValueError("degenerate landmarks: both eyes at one point")
    ux, uy = ax / norm, ay / norm

    def along(p: Point) -> float:
        return p[0] * ux + p[1] * uy

    left = sum(along(landmarks[i]) for i in LEFT_OUTLINE) / len(LEFT_OUTLINE)
    right = sum(along(landmarks[i]) for i in RIGHT_OUTLINE) / len(RIGHT_OUTLINE)
    width = right - left
    if width <= 0:
        raise ValueError("degenerate landmarks: the outline is folded")
    nose = along(landmarks[NOSE_TIP])
    return max(-1.0, min(1.0, (2 * nose - left - right) / width))


def yaw_degrees(landmarks: Sequence[Point]) -> float:
    """Estimated yaw in degrees, positive when the person turned to their left.

    The head is taken as round seen from above, so the nose tip moves sin(yaw) of the half-width.
    """
    return math.degrees(math.asin(yaw_ratio(landmarks)))


def classify(yaw_deg: float) -> Pose | None:
    """The pose a frame shows, or None while the head is between centre and a full turn."""
    if abs(yaw_deg) <= CENTER_MAX_DEG:
        return "center"
    if yaw_deg >= TURN_MIN_DEG:
        return "left"
    if yaw_deg <= -TURN_MIN_DEG:
        return "right"
    return None


def pose_runs(yaws: Sequence[float]) -> list[Pose]:
    """The sequence of poses shown, each run of equal poses collapsed, in-between frames dropped."""
    runs: list[Pose] = []
    for y in yaws:
        pose = classify(y)
        if pose is not None and (not runs or runs[-1] != pose):
            runs.append(pose)
    return runs


def challenge_followed(yaws: Sequence[float], steps: Sequence[str]) -> bool:
    """True when the frames show the steps in order, starting from a frontal face.

    The first pose shown must be "center" (a neutral start); after it, the turns shown (returns to
    centre between turns are allowed, as a head passes through it) must be exactly the turns asked,
    in the asked order: a turn the wrong way, a missing turn or an extra turn fails. A "center" step
    after a turn must be shown after that turn.
    """
    runs = pose_runs(yaws)
    if not runs or runs[0] != "center":
        return False
    wanted = [STEP_POSE[s] for s in steps]
    if wanted and wanted[0] == "center":
        wanted = wanted[1:]
    shown = runs[1:]
    i = 0
    for pose in shown:
        if i < len(wanted) and pose == wanted[i]:
            i += 1
        elif pose == "center":
            continue  # passing back through the centre between turns
        else:
            return False
    return i == len(wanted)
