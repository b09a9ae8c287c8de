#!/usr/bin/env bash
# Installs what the platform needs from the machine's package manager, only where it is missing:
# the system SQLite (docs/decisions/0003). libvips needs nothing here: the NetVips.Native package
# carries it. Safe to run again; says what it does.
set -uo pipefail

have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

apt_install() {
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "prereqs: need root (or sudo) to install $*" >&2; return 1; }
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null || { echo "prereqs: no apt-get here; install $* with your package manager" >&2; return 1; }
  echo "prereqs: installing $* (apt-get)"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! have_lib libsqlite3.so.0; then
  apt_install libsqlite3-0 || echo "prereqs: libsqlite3 is missing: apt-get install -y libsqlite3-0" >&2
fi
exit 0
