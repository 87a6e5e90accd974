#!/usr/bin/env bash
# Builds the agentdesk desktop package: the desktop and the capture agent,
# the systemd units, the default config and the man pages, with dpkg-deb.
#   packaging/build-deb.sh [OUTDIR]   (make deb: OUTDIR=dist)
# The units are the ones `capture-agent install` writes, printed by the
# built binary, so there is one source for them.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
GO="${GO:-go}"
arch="$(dpkg --print-architecture)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
mkdir -p "$root/usr/bin" "$root/DEBIAN" "$root/etc/agentdesk" \
  "$root/usr/lib/systemd/user" "$root/usr/lib/systemd/system" \
  "$root/usr/share/man/man1" "$root/usr/share/man/man5" "$root/usr/share/doc/agentdesk"
GOFLAGS=-buildvcs=false "$GO" build -trimpath -o "$root/usr/bin/" ./cmd/capture-agent ./cmd/agentdesk
ca="$root/usr/bin/capture-agent"
version="$("$ca" --version | awk '{print $2}')"
# the user unit: install --dry-run prints "# PATH", the unit, "# would …"
"$ca" install --dry-run --no-start --bin /usr/bin/capture-agent | sed '1d;/^# would /d;1s/^# Written by.*/# Installed by the agentdesk package; enable it for every user: systemctl --global enable capture-agent/' \
  > "$root/usr/lib/systemd/user/capture-agent.service"
"$ca" install --system --root "$stage/sys" --bin /usr/bin/capture-agent --quiet
mv "$stage/sys/etc/systemd/system/capture-agent@.service" "$root/usr/lib/systemd/system/"
cp configs/capture.yaml "$root/etc/agentdesk/capture.yaml"
gzip -9n -c packaging/man/capture-agent.1 > "$root/usr/share/man/man1/capture-agent.1.gz"
gzip -9n -c packaging/man/capture.yaml.5 > "$root/usr/share/man/man5/capture.yaml.5.gz"
cp docs/capture-service.md "$root/usr/share/doc/agentdesk/"
chmod 0644 "$root"/usr/lib/systemd/*/* "$root/etc/agentdesk/capture.yaml"
echo /etc/agentdesk/capture.yaml > "$root/DEBIAN/conffiles"
size="$(du -sk "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: agentdesk
Version: $version
Architecture: $arch
Maintainer: agentdesk developers <agentdesk@localhost>
Installed-Size: $size
Depends: libc6, libvpx7, libopus0, libportaudio2, libasound2-plugins
Recommends: pulseaudio | pipewire-pulse
Section: net
Priority: optional
Description: contact-centre chat desktop with screen and voice recording
 agentdesk is the agent's terminal desktop; capture-agent is the service
 that records the agent's screen and microphone while chats are recorded,
 and uploads the recordings. Enable the service for every user with
 systemctl --global enable capture-agent, or per user with
 capture-agent install. Configure it in /etc/agentdesk/capture.yaml.
CONTROL
for s in postinst postrm; do
  cat > "$root/DEBIAN/$s" <<'SCRIPT'
#!/bin/sh
set -e
# let a running systemd see the units added or removed; nothing is started
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
exit 0
SCRIPT
  chmod 0755 "$root/DEBIAN/$s"
done
mkdir -p "$out"
deb="$out/agentdesk_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
