"""The bare Tasks-API model on a clip: decode + PoseLandmarker VIDEO mode, nothing else.

    python tasks_bare.py CLIP MODEL.task NUM_POSES

What any project on today's mediapipe (1.2.x) pays at least: OpenCV decodes, BGR -> RGB,
``detect_for_video`` on every frame, one thread. ``NUM_POSES`` 1 tracks one person (the
person detector runs only when the track is lost); 2 runs the detector on every frame.
Prints one JSON line: frames, frames with a person.
"""

from __future__ import annotations

import json
import sys

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision


def main() -> int:
    clip, model, num_poses = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model),
        running_mode=vision.RunningMode.VIDEO, num_poses=num_poses)
    cap = cv2.VideoCapture(clip)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = found = 0
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            res = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                      int(frames * 1000 / fps))
            found += bool(res.pose_landmarks)
            frames += 1
    cap.release()
    print(json.dumps({"frames": frames, "found": found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
