#!/usr/bin/env bash
# Brings real Exim 4 and OpenSMTPD for the real-server suites (test/servers/relay.exim.test.ts,
# relay.opensmtpd.test.ts) next to the installed Postfix. As MTAs, Debian's packages conflict with postfix
# and with each other, so they are not installed: `apt-get download` fetches the .debs and `dpkg-deb -x`
# unpacks them under .cache/mtas/root/, where the tests run the binaries (with LD_LIBRARY_PATH for the
# unpacked libraries). Nothing is configured or started here: the tests start private instances on
# 127.0.0.1 with their own configs (test/support/exim.ts, test/support/opensmtpd.ts).
#
#   exim4-daemon-light, exim4-base, exim4-config   /usr/sbin/exim4, update-exim4.conf and Debian's template
#   opensmtpd                                      /usr/sbin/smtpd
#   libraries they need that the machine lacks (see LIBRARIES)
#
# It also adds the system users the daemons drop privileges to, as the packages' postinst scripts would:
# Debian-exim (Exim), opensmtpd and opensmtpq (OpenSMTPD).
#
# Idempotent: a complete unpack (its stamp names the same packages) and existing users make it a no-op
# with no network request. Needs root (CI and the dev machines run as root); through sudo otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly MTA_PACKAGES=(exim4-daemon-light exim4-base exim4-config opensmtpd)
# Shared libraries of exim4 and smtpd; only those not installed on the machine are downloaded.
readonly LIBRARIES=(libgnutls-dane0 libunbound8 libidn12 libevent-2.1-7 libdb5.3 libnsl2 libpcre2-8-0 libgnutls30 libidn2-0 libcrypt1 libssl3 libpam0g zlib1g)
readonly CACHE=.cache/mtas
readonly ROOT=$CACHE/root
readonly STAMP=$ROOT/.unpacked

log() { printf '[install-mtas] %s\n' "$*"; }

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "not root and sudo is missing: cannot add the MTA users"; exit 1; }
  as_root=(sudo)
fi

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

add_system_user() {
  local user=$1 home=$2
  if ! getent passwd "$user" >/dev/null; then
    getent group "$user" >/dev/null || "${as_root[@]}" groupadd --system "$user"
    "${as_root[@]}" useradd --system --gid "$user" --no-create-home --home-dir "$home" --shell /usr/sbin/nologin "$user"
    log "added system user $user"
  fi
}

# As the packages' postinst scripts name them. smtpd chroots into the opensmtpd user's home, which must
# exist (empty, root's): Debian's /var/lib/opensmtpd/empty.
add_system_user Debian-exim /var/spool/exim4
add_system_user opensmtpd /var/lib/opensmtpd/empty
add_system_user opensmtpq /var/lib/opensmtpd/empty
for user in opensmtpd opensmtpq; do
  home=$(getent passwd "$user" | cut -d: -f6)
  [ -d "$home" ] || "${as_root[@]}" mkdir -p "$home"
done

wanted=("${MTA_PACKAGES[@]}")
for library in "${LIBRARIES[@]}"; do
  is_installed "$library" || wanted+=("$library")
done

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${wanted[*]}" ] && [ -x "$ROOT/usr/sbin/exim4" ] && [ -x "$ROOT/usr/sbin/smtpd" ]; then
  exit 0
fi

rm -rf "$CACHE.partial"
mkdir -p "$CACHE.partial/debs" "$CACHE.partial/root"
apt_log=$(mktemp "${TMPDIR:-/tmp}/install-mtas.XXXXXX.log")
trap 'rm -f "$apt_log"' EXIT

download() {
  (cd "$CACHE.partial/debs" && apt-get download "$@") >>"$apt_log" 2>&1
}

# A fresh machine may have no package lists yet (or stale ones naming removed versions): refresh once then.
if ! download "${wanted[@]}"; then
  "${as_root[@]}" apt-get update -qq >>"$apt_log" 2>&1 || true
  if ! download "${wanted[@]}"; then
    log "apt-get download failed: ${wanted[*]}"
    tail -n 40 "$apt_log" >&2
    exit 1
  fi
fi

for deb in "$CACHE.partial"/debs/*.deb; do
  dpkg-deb -x "$deb" "$CACHE.partial/root"
done

# Every library the two daemons load must resolve, from the machine or from the unpack.
library_path=$(find "$CACHE.partial/root" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
missing=$(LD_LIBRARY_PATH="$library_path" ldd "$CACHE.partial/root/usr/sbin/exim4" "$CACHE.partial/root/usr/sbin/smtpd" | grep 'not found' || true)
if [ -n "$missing" ]; then
  log "unresolved libraries after unpacking (add their packages to LIBRARIES):"
  printf '%s\n' "$missing" >&2
  exit 1
fi

printf '%s' "${wanted[*]}" >"$CACHE.partial/root/.unpacked"
rm -rf "$CACHE"
mv "$CACHE.partial" "$CACHE"
log "unpacked under $CACHE/root: $(cd "$CACHE/debs" && ls | tr '\n' ' ')"
