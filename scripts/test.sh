#!/usr/bin/env bash
# `npm test`: every suite, on a fresh machine too. It first installs what the suites need and is missing:
# Debian packages (postfix for the real-server tests, chromium for the VS Code host), Exim 4 and OpenSMTPD
# unpacked under .cache/mtas (scripts/install-mtas.sh: as MTAs they conflict with postfix) and code-server
# (VS Code 1.100.3, the in-editor host). Both installers are no-ops once done.
# Every suite runs even when an earlier one fails, so one run shows every failure; the exit code is
# non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."

set -e
bash scripts/install-debian-deps.sh
bash scripts/install-mtas.sh
bash scripts/install-code-server.sh
npm run build --silent
npm run typecheck --silent
npm run compile-tests --silent
set +e

failed=()
run_suite() {
  local name=$1
  shift
  echo "== $name"
  "$@" || failed+=("$name")
}

run_suite "Lint (eslint: floating promises, import cycles, no vscode in src/core, src/lab, src/cli)" npm run lint --silent
run_suite "In-VS-Code suite (code-server, VS Code 1.100.3)" node out/test/vscode/runInCodeServer.js
run_suite "UI tests (Playwright; screenshots in test-results/screenshots)" node out/test/vscode/runUiTests.js
# Last, so that node's runner gives the closing lines: unit, fault, fuzz and security suites, then the
# suites against real servers (private Postfix, Exim and OpenSMTPD instances on 127.0.0.1; root).
run_suite "Unit and real-server suites" node --test --test-concurrency=2 out/test/unit/ out/test/servers/

if ((${#failed[@]})); then
  printf 'failed suite: %s\n' "${failed[@]}" >&2
  exit 1
fi
