"""What a peer project built on MediaPipe's legacy API does with a clip (a benchmark baseline).

Runs under mediapipe 0.10.14 (``mp.solutions``), in the throwaway virtual environment that
bench/bench_peers.py makes; it is not part of formcheck and formcheck never imports it.

    python legacy_peer.py CLIP detect            # decode + Pose(model_complexity=1) only
    python legacy_peer.py CLIP rules             # + the usual angle rules and a rep counter
    python legacy_peer.py CLIP video OUT.mp4     # + drawing the skeleton and text, mp4v output

The rules are the typical tutorial glute-bridge checker: hip angle (shoulder-hip-knee) and
knee angle from the landmarks, a rep when the hip angle goes above 160 deg and back below 140,
a "hips too low" and a "knees too straight" message. One thread, as these projects are
written. Prints one JSON line: frames, reps, messages.
"""

from __future__ import annotations

import json
import math
import sys

import cv2
import mediapipe as mp


def angle(a, b, c) -> float:
    ab = (a.x - b.x, a.y - b.y)
    cb = (c.x - b.x, c.y - b.y)
    d = math.degrees(math.atan2(cb[1], cb[0]) - math.atan2(ab[1], ab[0]))
    d = abs(d)
    return 360.0 - d if d > 180.0 else d


class Rules:
    """The peer's rep counter and messages from one frame's landmarks."""

    def __init__(self) -> None:
        self.reps = 0
        self.up = False
        self.messages: dict[str, int] = {}

    def update(self, landmarks) -> str:
        pl = mp.solutions.pose.PoseLandmark
        lm = landmarks.landmark
        hip = angle(lm[pl.RIGHT_SHOULDER], lm[pl.RIGHT_HIP], lm[pl.RIGHT_KNEE])
        knee = angle(lm[pl.RIGHT_HIP], lm[pl.RIGHT_KNEE], lm[pl.RIGHT_ANKLE])
        if hip > 160 and not self.up:
            self.up = True
        elif hip < 140 and self.up:
            self.up = False
            self.reps += 1
        text = ""
        if self.up and knee > 120:
            text = "knees too straight"
        elif not self.up and hip > 150:
            text = "hips too low"
        if text:
            self.messages[text] = self.messages.get(text, 0) + 1
        return text


def main() -> int:
    clip, mode = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if mode == "video" else None
    cap = cv2.VideoCapture(clip)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    frames = 0
    rules = Rules()
    with mp.solutions.pose.Pose(model_complexity=1, smooth_landmarks=True,
                                min_detection_confidence=0.5,
                                min_tracking_confidence=0.5) as pose:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frames += 1
            res = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if mode == "detect":
                continue
            text = rules.update(res.pose_landmarks) if res.pose_landmarks else ""
            if mode == "video":
                if res.pose_landmarks:
                    mp.solutions.drawing_utils.draw_landmarks(
                        bgr, res.pose_landmarks, mp.solutions.pose.POSE_CONNECTIONS)
                cv2.putText(bgr, f"reps {rules.reps} {text}", (20, 40), cv2.FONT_HERSHEY_SIMPLEX,
                            1.0, (255, 255, 255), 2)
                if writer is None:
                    h, w = bgr.shape[:2]
                    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
                writer.write(bgr)
    cap.release()
    if writer is not None:
        writer.release()
    print(json.dumps({"frames": frames, "reps": rules.reps, "messages": rules.messages}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
