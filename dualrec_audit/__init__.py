"""dualrec-audit: audits dual recordings (双录) of financial product sales.

The core package never imports Qt; the reviewer UI lives in the top-level ``ui`` package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dualrec-audit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"

__all__ = ["__version__"]
