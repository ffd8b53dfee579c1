"""What the reviewer UI computes, without Qt: the player's stops, the queue, the transcript, the
teller's pre-check and the texts they read.

The Qt views (``ui/``) only display what these modules return, so the behaviour a reviewer relies
on is tested here without a display.
"""
