"""Calibration from reviewers' verdicts: a stored result re-decided under a candidate profile
(layer 2 is a pure function, so every proposal is checked on every stored recording), the
proposal of new thresholds with its guarantee, and its report (JSON and HTML)."""
