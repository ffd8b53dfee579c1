"""Guided recording: the tool records the dual recording itself and tells the teller, while it
happens, what to fix.

- ``sources``: where pictures and sound come from — a camera and a microphone, or a recording
  played back at the pace devices would deliver it (``--source FILE --realtime``) — all
  through one :class:`~dualrec_audit.record.sources.Sink` interface.
- ``writer``: the recording written as it is made (H.264 + AAC, fragmented MP4: a crash leaves
  a playable file up to its last second).
- ``hints``: what the teller is told (hints raised and cleared, stages ticked, alarms) and the
  state machine that raises a hint when a problem lasts and clears it when it ends.
- ``live_picture``, ``live_sound``, ``live_script``: the layer-1 checks' own code run on each
  sampled frame and each block of sound as it arrives.
- ``session``: one recording session (source, writer, live checks, their lag and dropped
  frames), and after stop the audit that reuses what the live checks computed.
"""
