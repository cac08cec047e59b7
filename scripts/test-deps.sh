#!/bin/sh
# Debian packages some integration tests use: a virtual X display, a D-Bus session and a real
# notification server (dunst), socat for ptys, systemd-analyze for the unit files, an MQTT broker
# (mosquitto, openssl for its TLS test), a window manager and xprop for the fullscreen probe,
# dconf and the GNOME settings schemas (show-banners), sway and foot with a font (fullscreen on
# Wayland),
# desktop-file-validate for the autostart entry, g++ to run the reference firmware on this PC and
# Debian's Arduino toolchain (arduino-mk, arduino-core-avr, gcc-avr, avr-libc) to build it for
# an Uno; Workrave, a break reminder the seat drives over D-Bus (tests/integration/test_workrave.py).
# Installed only when we are root on a Debian-like system and something is missing; otherwise
# the tests that need them skip and say why.
pkgs="xvfb dbus dunst libnotify-bin libglib2.0-bin dconf-service gsettings-desktop-schemas sway foot fonts-dejavu-core socat systemd mosquitto openssl openbox x11-utils chromium desktop-file-utils g++ make arduino-mk arduino-core-avr gcc-avr avr-libc workrave"
need=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test packages:$need"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $need >/dev/null \
    || echo "warning: could not install$need; the tests that need them will skip"
else
  echo "note: missing$need (not root): the tests that need them will skip"
fi
exit 0
