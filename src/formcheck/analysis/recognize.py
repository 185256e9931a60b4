"""Which of the eight activities a clip shows, from its pose track alone.

Two steps, both documented rules on image landmarks (no learned model):

1. **Posture per frame** (first rule that applies):

   * ``upright`` - the trunk (hip->shoulder) is steeper than ``upright_trunk_deg`` from
     horizontal (sitting, standing);
   * ``supine`` - otherwise, the face points up (nose above the ear);
   * ``plank`` (piked) - otherwise, both legs straight, the hips flexed, and the forearms or
     hands at the level of the feet and well in front of them: a plank with the hips piked
     high (issue 9). Without this rule its sloping shins read as ``on_feet`` (a lift) and its
     flexed hips as ``all_fours``;
   * ``on_feet`` - otherwise, a shin stands near vertical under the knee (squatting or
     hinging over a load: the bottom of a lift);
   * ``all_fours`` - otherwise, a leg is bent at the hip (kneeling support);
   * ``plank`` - otherwise (body straight, face down).

   The clip's posture is the most common one (``upright`` and ``on_feet`` together make
   "sitting or standing/lifting"); the share of frames that agree is the base confidence.

2. **Movement pattern** within the posture, over the whole clip:

   * upright: ``sitting`` when most upright frames have the thigh near horizontal (seated)
     or hidden, rather than hanging (standing) or bent over the feet (``on_feet``), else
     ``lifting``. A hidden thigh (near knee not visible or outside the image: MediaPipe
     guesses a knee at the image edge) is a desk hiding the legs: a lift needs the legs in
     view, a desk webcam seldom shows them (no lifting clip hides the knee). Thighs between
     level and hanging are transitions and do not vote;
   * supine: ``knee_to_chest`` when one hip is much more flexed than the other (one knee
     pulled in), ``glute_bridge`` when the hips open to a near-straight line and move through
     a wide range, else ``pelvic_tilt`` (a tiny movement with both knees bent);
   * all fours: ``bird_dog`` when a limb extends (the hips differ a lot or a wrist rises to
     shoulder height), else ``cat_cow``;
   * plank: ``plank``.

Numbers come from the labelled sample clips (medians per clip, quoted next to each one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from formcheck.analysis.track import PoseTrack
from formcheck.core.catalogue import CATALOGUE
from formcheck.core.geometry import joint_angle
from formcheck.core.pose import Landmark, Pose, side_landmark
from formcheck.exercises.sitting import in_frame

L, R = "left", "right"


@dataclass(frozen=True)
class RecognizeParams:
    #: trunk steeper than this (deg from horizontal) is upright. Floor clips: 0-23 deg
    #: (p90), sitting 67-89, standing phases of lifts 71-88.
    upright_trunk_deg: float = 50.0
    #: face up: nose above the ear by this many trunk lengths. Supine clips: -0.12..-0.23;
    #: face-down and upright clips: +0.01..+0.18.
    face_up: float = -0.05
    #: shin near vertical: ankle below the knee by this many trunk lengths (lift bottoms
    #: 0.6-0.9; kneeling shins lie on the floor, 0-0.2; planks ~0.1)
    on_feet_shin: float = 0.45
    #: kneeling support: a hip flexed below this (deg). All-fours clips 85-110, planks
    #: 143-174 (median).
    all_fours_hip_deg: float = 130.0
    #: seated: thigh rise within this many trunk lengths of the hip height (sitting_01
    #: median 0.15; standing thighs hang 0.6-0.8 below the hip)
    seated_thigh: float = 0.35
    #: standing: the thigh hangs at least this many trunk lengths below the hip (anatomy: a
    #: thigh is ~0.8 trunk lengths long and hangs near vertical when standing; 0.55 is a
    #: thigh within ~45 deg of vertical). Frames in between are transitions and do not vote.
    standing_thigh: float = 0.55
    #: share of the voting upright frames (seated or legs hidden, vs standing or bent over
    #: the feet) that must be seated for "sitting". Clips, 2 sitting people / 6 lifting
    #: sources: sitting clips 0.93-1.0 (sitting_01, _11, _12), lifting clips 0-0.27
    #: (lifting_11's upright squat bottoms read as seated, lifting_14 0.24): margin 0.23.
    seated_share: float = 0.5
    #: a knee below this visibility (or outside the image) does not show the thigh
    legs_visibility: float = 0.5
    #: knee_to_chest: 90th percentile of the left/right hip-angle difference (deg); its
    #: clip reads 122, pelvic tilts and bridges 3-6
    knee_to_chest_asym_deg: float = 45.0
    #: glute_bridge: the hip angle reaches this (p90, deg) and moves through this range
    #: (p90 - p10). glute_bridge_01: 171 / 39; pelvic tilts: 117-131 / 1-10.
    bridge_top_deg: float = 150.0
    bridge_range_deg: float = 20.0
    #: bird_dog: hip-angle difference (p90, deg) of a leg extended behind (bird dogs 57-74,
    #: cat-cows 3-6) ...
    bird_dog_asym_deg: float = 30.0
    #: ... or a wrist raised near shoulder height (p10 of wrist drop below the shoulder in
    #: trunk lengths; bird_dog_01 -0.2, cat-cows 1.0-1.1)
    bird_dog_wrist: float = 0.5
    #: piked plank (issue 9): both knees straighter than this (deg; anatomy: a plank is held on
    #: straight legs, clip planks 160-180; kneeling and lift bottoms bend them to 60-120) ...
    pike_knee_deg: float = 150.0
    #: ... the lowest wrist/elbow at most this many trunk lengths above the lower ankle and at
    #: most ``pike_front_below`` below it (image y). Anatomy: forearms/hands rest on the floor;
    #: on the toes the ankle is raised a little (plank clips, 8 people: the elbow 0.23-0.49
    #: below the ankle, margin 0.31); a standing or stooping person's hands hang at least 1.0
    #: above the ankles (10 lifting clips from 6 sources: 1.0-2.7, margin 0.5).
    pike_front_above: float = 0.5
    pike_front_below: float = 0.8
    #: ... and at least this many trunk lengths in front of the ankles (anatomy: a 90 deg pike
    #: puts the forearms/hands 1.7-2 trunk lengths from the feet; a stoop touching the floor
    #: reaches under 0.7 - the far end of lifting's load_far_from_body; clip planks 1.9-3.4)
    pike_reach: float = 1.0
    #: landmarks below this visibility do not vote
    min_visibility: float = 0.3


@dataclass
class Recognition:
    """What the program sees. ``exercise`` is an exercise id, or None when nothing usable
    was found; ``confidence`` in [0, 1]; ``reason`` says which evidence decided it."""

    exercise: str | None
    confidence: float
    reason: str
    posture: str | None = None
    posture_shares: dict[str, float] = field(default_factory=dict)


POSTURES = ("upright", "on_feet", "supine", "all_fours", "plank")


def _pt(pose: Pose, side: str, name: str) -> np.ndarray:
    return pose.xy(Landmark[f"{side.upper()}_{name.upper()}"]).astype(np.float64)


def frame_features(pose: Pose) -> dict[str, float]:
    """Per-frame measurements the rules use (NaN where unknown). Distances are in trunk
    lengths (shoulder-mid to hip-mid), image y down."""
    sh = (_pt(pose, L, "shoulder") + _pt(pose, R, "shoulder")) / 2
    hp = (_pt(pose, L, "hip") + _pt(pose, R, "hip")) / 2
    trunk = float(np.linalg.norm(sh - hp))
    nan = float("nan")
    if not np.isfinite(trunk) or trunk < 1e-6:
        return {}
    near = pose.near_side()
    d = sh - hp
    f: dict[str, float] = {
        "trunk_incline": float(np.degrees(np.arctan2(abs(d[1]), abs(d[0])))),
        "face": float(pose.xy(Landmark.NOSE)[1] - _pt(pose, near, "ear")[1]) / trunk,
    }
    hips, thighs, shins, wrists, knees, fronts, ankles = [], [], [], [], [], [], []
    for side in (L, R):
        s, h, k, a, w = (_pt(pose, side, n) for n in ("shoulder", "hip", "knee", "ankle",
                                                       "wrist"))
        hips.append(float(joint_angle(s, h, k)))
        thighs.append(float(k[1] - h[1]) / trunk)
        shins.append(float(a[1] - k[1]) / trunk)
        wrists.append(float(w[1] - s[1]) / trunk)
        knees.append(float(joint_angle(h, k, a)))
        ankles.append(a)
        fronts.extend([w, _pt(pose, side, "elbow")])
    f["hip_min"] = float(np.nanmin(hips)) if np.isfinite(hips).any() else nan
    f["hip_max"] = float(np.nanmax(hips)) if np.isfinite(hips).any() else nan
    f["hip_asym"] = abs(hips[0] - hips[1])
    near_i = 0 if near == L else 1
    f["hip_near"] = hips[near_i]
    f["thigh_near"] = thighs[near_i]
    knee = side_landmark(near, "knee")
    f["knee_near_vis"] = float(pose.visibility[knee])
    f["knee_near_in_image"] = float(in_frame(pose, knee))
    f["shin_max"] = float(np.nanmax(shins)) if np.isfinite(shins).any() else nan
    f["wrist_min"] = float(np.nanmin(wrists)) if np.isfinite(wrists).any() else nan
    f["knee_min"] = float(np.min(knees)) if np.isfinite(knees).all() else nan
    # the lowest wrist/elbow (the front floor contact in a plank) against the lower ankle
    fronts = [q for q in fronts if np.isfinite(q).all()]
    ankles = [q for q in ankles if np.isfinite(q).all()]
    if fronts and ankles:
        front = max(fronts, key=lambda q: q[1])
        ankle = max(ankles, key=lambda q: q[1])
        f["front_drop"] = float(front[1] - ankle[1]) / trunk
        f["front_reach"] = float(abs(front[0] - ankle[0])) / trunk
    else:
        f["front_drop"] = f["front_reach"] = nan
    return f


def frame_posture(f: dict[str, float], p: RecognizeParams = RecognizeParams()) -> str | None:
    """The posture of one frame from :func:`frame_features` (None if unknown)."""
    if not f or not np.isfinite(f["trunk_incline"]):
        return None
    if f["trunk_incline"] > p.upright_trunk_deg:
        return "upright"
    if np.isfinite(f["face"]) and f["face"] < p.face_up:
        return "supine"
    if _piked(f, p):
        return "plank"
    if np.isfinite(f["shin_max"]) and f["shin_max"] > p.on_feet_shin:
        return "on_feet"
    if np.isfinite(f["hip_min"]) and f["hip_min"] < p.all_fours_hip_deg:
        return "all_fours"
    return "plank"


def _piked(f: dict[str, float], p: RecognizeParams) -> bool:
    """A plank with the hips piked high: straight legs, hands/forearms on the floor level
    with the feet and well in front of them (NaN features never match)."""
    return bool(
        f.get("knee_min", np.nan) > p.pike_knee_deg
        and -p.pike_front_above < f.get("front_drop", np.nan) < p.pike_front_below
        and f.get("front_reach", np.nan) > p.pike_reach
    )


def _pct(values: list[float], q: float) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.percentile(v, q)) if v.size else float("nan")


class Recognizer:
    """Streaming recogniser: ``add(pose)`` per frame (None = no person), ``result()`` at any
    time. Keeps a few numbers per frame; past ``max_frames`` it keeps every other frame and
    then samples half as often, so memory stays bounded in an hours-long live session while
    the sample still spans the whole stream."""

    def __init__(self, params: RecognizeParams = RecognizeParams(), max_frames: int = 10_000):
        if max_frames < 2:
            raise ValueError(f"max_frames must be >= 2, got {max_frames}")
        self.params = params
        self.max_frames = max_frames
        self.feats: list[dict[str, float]] = []
        self.labels: list[str] = []
        self._stride = 1
        self._seen = 0

    def add(self, pose: Pose | None) -> None:
        if pose is None:
            return
        self._seen += 1
        if (self._seen - 1) % self._stride:
            return
        if len(self.labels) >= self.max_frames:
            self.feats, self.labels = self.feats[::2], self.labels[::2]
            self._stride *= 2
            if (self._seen - 1) % self._stride:
                return
        f = frame_features(pose)
        lab = frame_posture(f, self.params)
        if lab is not None:
            self.feats.append(f)
            self.labels.append(lab)

    def result(self) -> Recognition:
        return _decide(self.feats, self.labels, self.params)


def recognize_poses(poses: Iterable[Pose | None], params: RecognizeParams = RecognizeParams()) -> Recognition:
    """Recognise the activity from an iterable of poses (None entries are skipped)."""
    rec = Recognizer(params)
    for pose in poses:
        rec.add(pose)
    return rec.result()


#: the start position each exercise needs (its spec's posture): two exercises with the same
#: position differ only in the movement (a wrong exercise there is not "not in position")
POSITION = {s.id: s.posture for s in CATALOGUE}


def position_of(exercise: str) -> str:
    return POSITION[exercise]


def _decide(feats: list[dict[str, float]], labels: list[str],
            params: RecognizeParams) -> Recognition:
    """Step 2 of the module docstring: the clip's posture, then the movement within it."""
    p = params
    if not labels:
        return Recognition(None, 0.0, "no person found in any frame")
    counts = {k: labels.count(k) for k in POSTURES}
    n = len(labels)
    shares = {k: round(v / n, 3) for k, v in counts.items() if v}
    groups = {
        "upright": counts["upright"] + counts["on_feet"],
        "supine": counts["supine"],
        "all_fours": counts["all_fours"],
        "plank": counts["plank"],
    }
    posture = max(groups, key=lambda k: groups[k])
    base = groups[posture] / n
    pick = [f for f, lab in zip(feats, labels) if
            (lab in ("upright", "on_feet") if posture == "upright" else lab == posture)]
    if posture == "upright":
        ex, margin, why = _upright_exercise(feats, labels, p)
    elif posture == "supine":
        ex, margin, why = _supine_exercise(pick, p)
    elif posture == "all_fours":
        ex, margin, why = _all_fours_exercise(pick, p)
    else:
        ex, margin, why = "plank", 1.0, "face down on forearms or hands and toes, legs not kneeling"
    # the posture's share, scaled down to half for a pattern at its threshold
    conf = float(np.clip(base * (0.5 + 0.5 * np.clip(margin, 0.0, 1.0)), 0.0, 1.0))
    where = "upright or on the feet" if posture == "upright" else posture
    return Recognition(ex, round(conf, 3), f"{where} in {base:.0%} of frames; {why}",
                       posture, shares)


#: (exercise, margin past its rule's threshold: 1 = clear, 0 or below = at it, reason)
_Verdict = tuple[str, float, str]


def _col(frames: list[dict[str, float]], key: str) -> list[float]:
    return [f.get(key, np.nan) for f in frames]


def _upright_exercise(feats: list[dict[str, float]], labels: list[str],
                      p: RecognizeParams) -> _Verdict:
    """sitting (thighs level or hidden) or lifting (standing, or bent over the feet)."""
    seated = standing = hidden = 0
    for f, lab in zip(feats, labels):
        if lab == "on_feet":
            standing += 1
            continue
        if lab != "upright":
            continue
        thigh = abs(f.get("thigh_near", np.nan))
        if (not np.isfinite(thigh) or f.get("knee_near_vis", 0.0) < p.legs_visibility
                or not f.get("knee_near_in_image", 0.0)):
            hidden += 1
        elif thigh < p.seated_thigh:
            seated += 1
        elif thigh >= p.standing_thigh:
            standing += 1
    if seated + hidden + standing == 0:
        return "lifting", 0.0, "upright, thighs neither level nor hanging"
    share = (seated + hidden) / (seated + hidden + standing)
    why = (f"thighs level (seated) in {seated} and hidden (behind a desk) in {hidden} of "
           f"{seated + hidden + standing} upright frames")
    if share >= p.seated_share:
        return "sitting", (share - p.seated_share) / 0.3, why
    return "lifting", (p.seated_share - share) / 0.3, f"standing or bending over the feet; {why}"


def _supine_exercise(pick: list[dict[str, float]], p: RecognizeParams) -> _Verdict:
    """knee_to_chest (one hip flexed), glute_bridge (hips open wide) or pelvic_tilt."""
    asym = _pct(_col(pick, "hip_asym"), 90)
    top, low = _pct(_col(pick, "hip_max"), 90), _pct(_col(pick, "hip_max"), 10)
    if asym > p.knee_to_chest_asym_deg:
        return ("knee_to_chest", (asym - p.knee_to_chest_asym_deg) / 30,
                f"one hip flexed {asym:.0f} deg more than the other (knee to chest)")
    if top > p.bridge_top_deg and top - low > p.bridge_range_deg:
        return ("glute_bridge", min(top - p.bridge_top_deg, top - low - p.bridge_range_deg) / 10,
                f"hips open to {top:.0f} deg over a {top - low:.0f} deg range (bridge)")
    return ("pelvic_tilt", min((p.bridge_range_deg - (top - low)) / 10,
                               (p.knee_to_chest_asym_deg - asym) / 30),
            f"hips stay near {np.nanmedian(_col(pick, 'hip_max')):.0f} deg with both knees "
            "bent (small pelvic movement)")


def _all_fours_exercise(pick: list[dict[str, float]], p: RecognizeParams) -> _Verdict:
    """bird_dog (a limb extends) or cat_cow."""
    asym = _pct(_col(pick, "hip_asym"), 90)
    wrist = _pct(_col(pick, "wrist_min"), 10)
    if asym > p.bird_dog_asym_deg or wrist < p.bird_dog_wrist:
        return ("bird_dog", max((asym - p.bird_dog_asym_deg) / 20,
                                (p.bird_dog_wrist - wrist) / 0.5),
                f"a limb extends (hip difference {asym:.0f} deg, wrist rise {wrist:+.2f})")
    return ("cat_cow", min((p.bird_dog_asym_deg - asym) / 20, (wrist - p.bird_dog_wrist) / 0.5),
            "on hands and knees with no limb extended")


def recognize_track(track: PoseTrack, params: RecognizeParams = RecognizeParams()) -> Recognition:
    """Which exercise the track shows (see the module docstring for the rules)."""
    return recognize_poses((pose for _, pose in track.poses()), params)
