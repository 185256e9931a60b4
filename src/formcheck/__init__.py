"""formcheck: a camera coach for people with low back pain (L5-S1).

A tool for managing symptoms, not a diagnosis or a substitute for a physiotherapist.
"""

__version__ = "0.1.0"
