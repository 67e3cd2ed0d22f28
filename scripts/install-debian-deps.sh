#!/usr/bin/env bash
# Installs the Debian packages that the server tests and the benchmarks need, when they are missing:
#   postfix      a real MTA for test/support/postfix.ts (started per test in a temporary directory)
#   swaks, nmap  the tools whose verdicts the benchmarks compare with ours
#   chromium     the headless browser that drives the VS Code workbench in the UI tests
#   libkrb5-dev  gssapi.h, for the kerberos native module that VS Code's server builds
#   ripgrep      rg, which VS Code's search needs (@vscode/ripgrep would download it)
#   dnsmasq-base the dnsmasq binary only (no system service, nothing on port 53): the MX tests start
#                their own on a loopback port (test/support/dnsmasq.ts)
#   dovecot-imapd Dovecot's IMAP server for the IMAP catcher tests (test/support/dovecot.ts, private config
#                on a loopback port). Its package starts no daemon where policy-rc.d forbids it (containers);
#                elsewhere the script stops the system service it left running.
# Idempotent: a package that is already installed is left alone, and a machine that has them all makes
# no network request. Works as root (CI, containers) and through sudo otherwise. Prints one line per
# package installed; apt's own output goes to a log file that is shown only when apt fails.
set -euo pipefail

readonly PACKAGES=(postfix swaks nmap chromium libkrb5-dev ripgrep dnsmasq-base dovecot-imapd)

log() { printf '[install-debian-deps] %s\n' "$*"; }

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "not root and sudo is missing: cannot install ${missing[*]}"; exit 1; }
  as_root=(sudo)
fi

apt_log=$(mktemp "${TMPDIR:-/tmp}/install-debian-deps.XXXXXX.log")
trap 'rm -f "$apt_log"' EXIT

run_quietly() {
  if ! "$@" >>"$apt_log" 2>&1; then
    log "failed: $*"
    tail -n 40 "$apt_log" >&2
    exit 1
  fi
}

# "No configuration" makes the postfix package install its programs without writing /etc/postfix/main.cf
# or starting a system instance (nothing may listen on port 25 of a CI machine). The tests run their own
# instances with `postfix -c <temporary directory>`.
if [[ " ${missing[*]} " == *' postfix '* ]]; then
  run_quietly "${as_root[@]}" debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string mail.example.com
EOF
fi

# One package list refresh per run: a fresh machine has none, and a stale one may name removed versions.
run_quietly "${as_root[@]}" apt-get update -qq
# sudo drops the environment, so the frontend goes through env(1) rather than an assignment prefix.
run_quietly "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"

for package in "${missing[@]}"; do
  if is_installed "$package"; then
    log "installed $package $(dpkg-query -W -f='${Version}' "$package")"
  else
    log "apt-get finished but $package is still not installed"
    exit 1
  fi
done

# dovecot-core's postinst starts the system instance (ports 143/993) unless policy-rc.d forbids it: the tests
# run their own, so a system instance is stopped and kept from starting at boot.
if [[ " ${missing[*]} " == *' dovecot-imapd '* ]] && command -v doveadm >/dev/null && pgrep -x dovecot >/dev/null; then
  "${as_root[@]}" doveadm stop >/dev/null 2>&1 || true
  if command -v systemctl >/dev/null; then
    "${as_root[@]}" systemctl disable --now dovecot.service >/dev/null 2>&1 || true
  fi
  log 'stopped the system dovecot the package started (the tests run their own)'
fi
