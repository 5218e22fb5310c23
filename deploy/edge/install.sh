#!/usr/bin/env bash
# Install a Whistle edge agent on Raspberry Pi OS (Debian bookworm), as root:
#   sudo deploy/edge/install.sh            # from a checkout of the repository
# Then put the agent's config (from `whistle devices add`) in /etc/whistle/edge.yaml and the
# site file in /etc/whistle/, and `systemctl enable --now whistle-edge`.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
src="$(cd "$(dirname "$0")/../.." && pwd)"
prefix=/opt/whistle

echo "install.sh: Debian packages"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  python3 python3-venv python3-dev libatlas-base-dev libopenblas0 ffmpeg \
  libgl1 libglib2.0-0 alsa-utils ca-certificates logrotate >/dev/null

echo "install.sh: user, directories"
id whistle >/dev/null 2>&1 || useradd --system --home /var/lib/whistle --shell /usr/sbin/nologin \
  --groups audio,video whistle
install -d -o whistle -g whistle -m 0750 /var/lib/whistle /var/log/whistle
install -d -o root -g whistle -m 0750 /etc/whistle

echo "install.sh: virtual environment in $prefix/venv"
install -d "$prefix"
python3 -m venv "$prefix/venv"
"$prefix/venv/bin/pip" install --quiet --upgrade pip
"$prefix/venv/bin/pip" install --quiet "$src"
cp -r "$src/docs" "$prefix/" 2>/dev/null || true

echo "install.sh: systemd unit, log rotation, journal size"
install -m 0644 "$src/deploy/edge/whistle-edge.service" /etc/systemd/system/whistle-edge.service
install -m 0644 "$src/deploy/edge/whistle-edge.logrotate" /etc/logrotate.d/whistle-edge
install -d /etc/systemd/journald.conf.d
install -m 0644 "$src/deploy/edge/journald-whistle.conf" /etc/systemd/journald.conf.d/whistle.conf
systemctl daemon-reload

if [ ! -f /etc/whistle/edge.yaml ]; then
  echo "install.sh: now write /etc/whistle/edge.yaml (see docs/deployment.md), then:"
fi
echo "  systemctl enable --now whistle-edge && journalctl -u whistle-edge -f"
