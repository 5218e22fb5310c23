#!/bin/sh
# Write Mosquitto's password file from the secrets in .env (run by the `mosquitto-passwd`
# one-shot service of docker-compose.yml, and natively by the tests). Agents provisioned later
# with `whistle devices add --password-file ...` are added to the same file.
# Usage: make-passwd.sh OUTFILE   (reads GATEWAY_MQTT_PASSWORD and EDGE_*_MQTT_PASSWORD)
set -eu
out="$1"
: "${GATEWAY_MQTT_PASSWORD:?GATEWAY_MQTT_PASSWORD is not set (see .env.example)}"
mkdir -p "$(dirname "$out")"
rm -f "$out"
mosquitto_passwd -c -b "$out" gateway "$GATEWAY_MQTT_PASSWORD"
# one line per simulated agent of the shipped sites: user name, then its variable
for pair in \
  "edge-gumo-cams:EDGE_GUMO_CAMS_MQTT_PASSWORD" \
  "edge-gumo-noise:EDGE_GUMO_NOISE_MQTT_PASSWORD" \
  "edge-haiyuan:EDGE_HAIYUAN_MQTT_PASSWORD" \
  "edge-yangting:EDGE_YANGTING_MQTT_PASSWORD" \
  "edge-running:EDGE_RUNNING_MQTT_PASSWORD"; do
  user="${pair%%:*}"
  var="${pair#*:}"
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "make-passwd: $var is not set; $user will not be able to connect" >&2
    continue
  fi
  mosquitto_passwd -b "$out" "$user" "$value"
done
chmod 0640 "$out"
echo "make-passwd: wrote $out"
