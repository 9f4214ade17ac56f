"""Real photos that ship in installed packages, their transformations, and synthesized head turns.

- `astronaut()`: scikit-image's `data.astronaut` (Eileen Collins, NASA), cropped to head and
  shoulders (the full picture also holds a mission patch that face detectors can take for a face).
- `hopper()`: matplotlib's `sample_data/grace_hopper.jpg` (Grace Hopper).
- `lfw_faces()`: scikit-image's `data.lfw_subset` — 100 real 25×25 grey faces from Labeled Faces in
  the Wild, enlarged; different people from the two above (the subset repeats some people among
  itself, so it is only ever compared with the two above).
- `coffee()`: a cup of coffee — a real photo without a face.

`head_turn(img, geometry(img), degrees)` makes the frame of a head turned sideways from a still
photo: a horizontal warp that rotates a cylinder standing for the head (with the nose standing out),
so the nose moves across the face further than its outline, as on a turning head; degrees > 0 turn
to the person's own left, which moves the nose towards the image's right in an unmirrored frame.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


@cache
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).crop((56, 0, 456, 300))


@cache
def hopper() -> Image.Image:
    from matplotlib import cbook

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return Image.open(path).convert("RGB")


@cache
def lfw_faces() -> tuple[Image.Image, ...]:
    from skimage import data

    faces = data.lfw_subset()[:100]  # the first 100 are faces, the rest are not
    return tuple(
        Image.fromarray((f * 255).round().astype(np.uint8)).resize((200, 200), Image.Resampling.BICUBIC).convert("RGB")
        for f in faces
    )


@cache
def coffee() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.coffee())


def jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def side_by_side(a: Image.Image, b: Image.Image) -> Image.Image:
    h = max(a.height, b.height)
    out = Image.new("RGB", (a.width + b.width, h), (128, 128, 128))
    out.paste(a, (0, 0))
    out.paste(b, (a.width, 0))
    return out


def transformations(img: Image.Image) -> dict[str, Image.Image]:
    """The same photo as a camera might give it: scaled, lighter, darker, tilted, recompressed,
    mirrored, cropped, grey."""
    w, h = img.size
    grey = (128, 128, 128)
    return {
        "scaled 0.7": img.resize((int(w * 0.7), int(h * 0.7)), Image.Resampling.LANCZOS),
        "scaled 1.6": img.resize((int(w * 1.6), int(h * 1.6)), Image.Resampling.LANCZOS),
        "brighter 1.4": ImageEnhance.Brightness(img).enhance(1.4),
        "darker 0.6": ImageEnhance.Brightness(img).enhance(0.6),
        "rotated +8°": img.rotate(8, resample=Image.Resampling.BICUBIC, fillcolor=grey),
        "rotated -8°": img.rotate(-8, resample=Image.Resampling.BICUBIC, fillcolor=grey),
        "JPEG q25": Image.open(io.BytesIO(jpeg(img, 25))).convert("RGB"),
        "mirrored": ImageOps.mirror(img),
        "cropped": img.crop((int(w * 0.1), int(h * 0.08), int(w * 0.9), int(h * 0.92))),
        "grey": ImageOps.grayscale(img).convert("RGB"),
    }


@dataclass(frozen=True)
class Geometry:
    """Where the face is in a photo (pixels of that photo): nose tip, the outline's middle, its width."""

    nose: tuple[float, float]
    axis_x: float
    width: float


def geometry(img: Image.Image) -> Geometry:
    """Locate the one face of `img` with the platform's own detector and landmarks."""
    from onecity.identity.face import engine

    arr = engine.decode_image(png(img))
    faces = engine.engine().faces(arr)
    assert len(faces) == 1, f"expected one face, found {len(faces)}"
    lm = faces[0].landmarks
    k = img.width / arr.shape[1]
    return Geometry(nose=(lm[30][0] * k, lm[30][1] * k), axis_x=(lm[0][0] + lm[16][0]) / 2 * k,
                    width=(lm[16][0] - lm[0][0]) * k)


def head_turn(img: Image.Image, geo: Geometry, degrees: float, nose_depth: float = 0.35) -> Image.Image:
    """The photo with the head turned by `degrees` (> 0: the person's left, the nose moves right).

    The head is a vertical cylinder of radius 0.62 × face width around the outline's middle, with the
    nose standing out from it by `nose_depth` of the radius. Each row is remapped on its own: a point
    at angle φ on the cylinder moves to r·sin(φ + θ); points turned out of sight collapse, and the
    background beyond the cylinder stays. Rows above the head and below the chin turn less.
    """
    a = np.asarray(img.convert("RGB"), dtype=np.float64)
    h, w = a.shape[:2]
    nx, cy = geo.nose
    cx, fw = geo.axis_x, geo.width
    radius = 0.62 * fw
    theta = np.radians(degrees)
    xs = np.arange(w, dtype=np.float64)
    inside = np.abs(xs - cx) < radius
    phi = np.arcsin(np.clip((xs - cx) / radius, -1, 1))
    nose_column = np.exp(-(((xs - nx) / (0.12 * fw)) ** 2))
    out = np.empty_like(a)
    for y in range(h):
        dy = (y - cy) / fw
        if dy < -1.0 or dy > 1.3:
            weight = 0.0
        elif dy < -0.7:
            weight = (dy + 1.0) / 0.3
        elif dy > 0.6:
            weight = max(0.0, 1 - (dy - 0.6) / 0.7)
        else:
            weight = 1.0
        r = radius * (1 + nose_depth * np.exp(-(((dy + 0.05) / 0.22) ** 2)) * nose_column)
        forward = np.where(inside, cx + r * np.sin(phi + theta * weight), xs)
        forward = np.maximum.accumulate(forward)  # occluded points collapse; the map stays monotone
        src = np.interp(xs, forward, xs)
        for c in range(3):
            out[y, :, c] = np.interp(src, xs, a[y, :, c])
    return Image.fromarray(out.clip(0, 255).round().astype(np.uint8))


# Yaw of each frame (degrees, > 0 = the person's left) for a person who follows
# ["center", "turn_left", "turn_right", "center"]: a frontal start, left, back through the centre,
# right, frontal again.
LEFT_THEN_RIGHT = (0, 0, 12, 25, 25, 12, 0, -12, -25, -25, -12, 0, 0)
RIGHT_THEN_LEFT = tuple(-d for d in LEFT_THEN_RIGHT)


def turn_frames(img: Image.Image, degrees: tuple[float, ...], quality: int = 90) -> list[bytes]:
    """JPEG frames of `img` with the head at each of `degrees` (one frame per entry)."""
    geo = geometry(img)
    cache: dict[float, bytes] = {}
    for d in degrees:
        if d not in cache:
            cache[d] = jpeg(img if d == 0 else head_turn(img, geo, d), quality)
    return [cache[d] for d in degrees]
