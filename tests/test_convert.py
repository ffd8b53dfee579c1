"""media/convert: one decoded frame converted by several threads at once (the recorder's
writer, live picture checks and window) gives every thread the right pixels and never crashes.

Before it, the recorder called ``frame.reformat``/``frame.to_ndarray`` on the shared frame from
each thread; PyAV keeps one swscale context per frame, and a test worker died with a segfault
in libswscale at load 13. The same hammering as below on ``frame.to_ndarray`` hung the process
(killed at 60 s) in 5 of 5 runs here; it runs in a child process so that a crash or a hang is
this test's failure, not a dead test worker.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .conftest import ROOT, sample

HAMMER = textwrap.dedent(
    """
    import sys, threading, time
    import av, numpy as np
    from dualrec_audit.media.convert import convert_array

    with av.open(sys.argv[1]) as box:
        frame = next(box.decode(video=0)).reformat(format="yuv420p")
    options = [
        dict(format="bgr24"),
        dict(width=320, height=180, format="rgb24"),
        dict(width=640, height=360, format="yuv420p"),
        dict(format="gray"),
    ]
    want = [frame.reformat(**o).to_ndarray() for o in options]
    stop = time.monotonic() + float(sys.argv[2])
    done, wrong = [], []

    def work(i):
        n = 0
        while time.monotonic() < stop:
            if not np.array_equal(convert_array(frame, **options[i]), want[i]):
                wrong.append(i)
            n += 1
        done.append(n)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(options))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(done), len(wrong))
    """
)


def test_one_frame_converted_by_four_threads_at_once_is_right_in_each(tmp_path):
    script = tmp_path / "hammer.py"
    script.write_text(HAMMER, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), str(sample("clean.mp4")), "3"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts, wrong = proc.stdout.rsplit("]", 1)
    assert int(wrong) == 0, "a thread got another conversion's pixels"
    assert min(int(c) for c in counts.strip("[ ").split(",")) > 10, proc.stdout
