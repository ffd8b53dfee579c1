#!/usr/bin/env bash
# The system libraries the Python wheels load but do not ship (Linux). OpenCV needs libGL;
# MediaPipe needs libEGL and libGLESv2: without them every audit fails. The reviewer window
# needs Qt's X11 (xcb) libraries and libpulse (the player); the guided recording (`record`)
# needs PortAudio for the microphone (cameras: OpenCV's own V4L2 backend). As root with apt-get, missing ones
# are installed; otherwise the command to install them is printed (and setup stops when the
# audit itself cannot run).
set -euo pipefail
[ "$(uname -s)" = Linux ] || exit 0
command -v ldconfig >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
# library file -> Debian/Ubuntu package
core="libGL.so.1:libgl1 libEGL.so.1:libegl1 libGLESv2.so.2:libgles2"
ui="libxkbcommon.so.0:libxkbcommon0 libglib-2.0.so.0:libglib2.0-0 libfontconfig.so.1:libfontconfig1"
ui="$ui libdbus-1.so.3:libdbus-1-3 libpulse.so.0:libpulse0 libxcb-cursor.so.0:libxcb-cursor0"
ui="$ui libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1"
ui="$ui libxkbcommon-x11.so.0:libxkbcommon-x11-0 libportaudio.so.2:libportaudio2"
missing() {
  local have
  have=$(ldconfig -p 2>/dev/null)
  for pair in $1; do
    grep -qF $'\t'"${pair%%:*} (" <<<"$have" || printf "%s " "${pair##*:}"
  done
}
need_core=$(missing "$core")
need_ui=$(missing "$ui")
[ -z "$need_core$need_ui" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing system libraries: $need_core$need_ui"
  if apt-get install -y -qq $need_core $need_ui >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq $need_core $need_ui >/dev/null; }; then
    exit 0
  fi
fi
if [ -n "$need_core" ]; then
  echo "setup: error: missing system libraries that OpenCV and MediaPipe load: install them with" >&2
  echo "  sudo apt-get install $need_core$need_ui   (Debian/Ubuntu; other systems: the same libraries)" >&2
  exit 1
fi
echo "setup: warning: the windows (Qt) and the recorder's microphone (PortAudio) need:" \
  "sudo apt-get install $need_ui" >&2
