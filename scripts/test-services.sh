#!/usr/bin/env bash
# Make sure the real servers the tests talk to are here: Dovecot (from Debian's
# packages; the tests start their own instance), Debian's Chromium and chromedriver
# for the chat widget's browser test, and the machine's PostgreSQL.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ] || [ ! -x /usr/lib/dovecot/lmtp ]; then
  echo "installing Dovecot (dovecot-imapd, dovecot-lmtpd) for the tests"
  as_root apt-get update -qq
  # policy-rc.d may forbid starting the system's own Dovecot; the tests start theirs.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "installing Chromium and chromedriver (chromium, chromium-driver) for the browser test"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || {
  echo "PostgreSQL is not answering on 127.0.0.1:5432; the PostgreSQL tests will fail" >&2
}
