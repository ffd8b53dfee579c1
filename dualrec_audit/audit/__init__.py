"""The audit pipeline: one recording in, an :class:`~dualrec_audit.core.result.AuditResult` out.

It runs the layer-1 checks on one decoding of the file (frames) and one reading of its sound,
then hands the result to layer 2 (:mod:`dualrec_audit.rules`) under the recording's profile.
Progress goes to a callback; nothing here knows about windows, databases or batches.
"""
