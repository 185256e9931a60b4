"""The window and the keys: a :class:`Display` the session draws into (``CvWindow`` on the real
screen, a scripted one in tests). ``imshow`` and key handling live only here."""

from __future__ import annotations

import os
import sys
from typing import Protocol

# OpenCV must be loaded before PyAV: when PyAV's bundled libraries load first, OpenCV's Qt
# window (namedWindow) hangs forever on X11 (measured here: `import av, cv2; namedWindow`
# never returns; `import cv2, av` works). Every coach module that shows or captures video
# imports cv2 at the top, before anything decodes video.
import cv2  # order matters, see above
import numpy as np
from numpy.typing import NDArray

from formcheck.core.errors import FormcheckError


class Display(Protocol):
    def show(self, rgb: NDArray[np.uint8]) -> int:
        """Show a frame; return the key pressed (or -1). Must not block."""

    def poll(self) -> int:
        """Process window events without a new frame; return a key or -1."""

    def close(self) -> None: ...


KEY_QUIT = ord("q")
KEY_ESC = 27
KEY_PAUSE = ord(" ")
KEY_PAIN = ord("p")
KEY_NEXT = ord("n")


class CvWindow:
    """An OpenCV highgui window. Closing the window counts as quitting."""

    def __init__(self, name: str = "formcheck", max_width: int = 1280):
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        ):
            raise LiveError("live mode needs a screen: no DISPLAY is set "
                            "(on a headless machine, run it under xvfb-run)")
        self.name = name
        self.max_width = max_width
        # GUI_NORMAL: no Qt toolbar or status bar, just the picture
        cv2.namedWindow(name, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self._shown = False

    def show(self, rgb: NDArray[np.uint8]) -> int:
        h, w = rgb.shape[:2]
        img: np.ndarray = rgb
        if w > self.max_width:
            img = cv2.resize(rgb, (self.max_width, int(h * self.max_width / w)),
                             interpolation=cv2.INTER_AREA)
        cv2.imshow(self.name, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
        self._shown = True
        return self.poll()

    def poll(self) -> int:
        key = cv2.waitKey(1)
        if self._shown and cv2.getWindowProperty(self.name, cv2.WND_PROP_VISIBLE) < 1:
            return KEY_QUIT  # the window was closed
        return key & 0xFF if key >= 0 else -1

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.name)
            cv2.waitKey(1)
        except cv2.error:
            pass


class LiveError(FormcheckError):
    """A user-facing problem starting live mode (no screen, no camera...)."""
