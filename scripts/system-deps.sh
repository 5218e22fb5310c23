#!/usr/bin/env bash
# Install and start the system services the test suite talks to, when they are missing.
# Idempotent: on a machine that has everything it only checks.
set -euo pipefail

need=()
command -v mosquitto >/dev/null || need+=(mosquitto mosquitto-clients)
command -v mosquitto_passwd >/dev/null || need+=(mosquitto)
command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v chromium >/dev/null || need+=(chromium)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v openssl >/dev/null || need+=(openssl)
# Chinese glyphs for the browser tests' screenshots (the pages use system font stacks)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)

if [ ${#need[@]} -gt 0 ]; then
  echo "system-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 1883; then
  echo "system-deps: starting mosquitto on 127.0.0.1:1883"
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
fi
if ! port_open 5432; then
  echo "system-deps: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
for i in $(seq 1 50); do port_open 1883 && port_open 5432 && break; sleep 0.2; done
port_open 1883 || { echo "system-deps: no Mosquitto on 127.0.0.1:1883" >&2; exit 1; }
port_open 5432 || { echo "system-deps: no PostgreSQL on 127.0.0.1:5432" >&2; exit 1; }
echo "system-deps: ok"
