"""PyInstaller hook for ``webrtcvad`` as published by the ``webrtcvad-wheels`` distribution.

The stock hook (pyinstaller-hooks-contrib) copies the metadata of a ``webrtcvad``
distribution, which is not installed here and fails the build; the module reads its version
from ``webrtcvad-wheels``. This hook takes precedence (``hookspath`` in build_installer.spec).
"""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
