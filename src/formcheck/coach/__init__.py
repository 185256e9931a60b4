"""The live coach: webcam sessions, the guided routine, voice cues and the local history."""
