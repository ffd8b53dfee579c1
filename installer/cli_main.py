"""Entry point of the installed application's ``dualrec-audit`` executable.

``build_installer.spec`` freezes this script with PyInstaller; from a Python environment run
``dualrec-audit`` (the console script) or ``python -m dualrec_audit`` instead.
"""

import multiprocessing

from dualrec_audit.cli import entry

if __name__ == "__main__":
    # A frozen program re-runs itself for any child process on Windows: this makes such a
    # child do its work instead of starting another audit.
    multiprocessing.freeze_support()
    entry()
