"""Speed and memory benchmarks of dualrec-audit (a measurement, not a test).

Entry points, run as scripts from the checkout: ``benchmarks/run.py`` (every mode of the
benchmark), ``benchmarks/measure.py`` (one measurement in a fresh process of its own) and
``benchmarks/ray_overhead.py``. Layers, top to bottom (each imports only those below it):

- ``run``: the command line and one function per mode;
- ``suite`` (the main run), ``lengths`` (--lengths), ``recorder_encodings`` (--encodings),
  ``ray_overhead`` (--ray-overhead), and ``measure`` (the child process's entry point);
- ``report`` (the main run's figures and table), ``processes`` (running and measuring a
  process), ``recordings`` (the recordings built into the cache), ``measure_media`` and
  ``measure_audit`` (the kinds of measurement a child process makes);
- ``measure_base`` (a pass's timings, the memory watch);
- ``common`` (paths, run metadata, saving a run, formatting) and ``procfs`` (reading /proc).
"""
