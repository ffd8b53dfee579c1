"""Speed and memory benchmarks of dualrec-audit (a measurement, not a test).

Entry points, run as scripts from the checkout: ``benchmarks/run.py`` (every mode of the
benchmark), ``benchmarks/measure.py`` (one measurement in a fresh process of its own) and
``benchmarks/ray_overhead.py``. The modes (``lengths``, ``ray_overhead``) import the shared
modules below them, never ``run``: ``processes`` (running and measuring a process),
``recordings`` (the recordings built into the cache), ``common`` (paths, run metadata, saving a
run, formatting) and ``procfs`` (reading /proc).
"""
