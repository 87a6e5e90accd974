#!/usr/bin/env bash
# Installs the Debian packages the build (`deps.sh build`) or the build and
# the tests (`deps.sh`) need, only when missing. Idempotent; quiet when
# everything is there.
set -euo pipefail
pkgs=(
  pkg-config gcc           # cgo
  libvpx-dev libopus-dev   # VP8 screen video, Opus voice
  portaudio19-dev          # the microphone
)
[ "${1:-}" = build ] || pkgs+=(
  chromium                 # the customer page in a real headless browser
  tmux                     # the desktop driven by send-keys / capture-pane
  xvfb                     # a real X screen on a headless machine
  pulseaudio pulseaudio-utils libasound2-plugins  # a real audio input (sine source) for PortAudio
  ffmpeg                   # ffprobe/ffmpeg decode our files in tests; the benchmark's peer
  x11-xserver-utils xterm  # scripted activity on the Xvfb screen for tests and benchmarks
  openssh-server openssh-client  # the SFTP sink against a real sshd on loopback (R-H1)
  systemd                  # systemd-analyze verify checks the capture agent's units
  passwd                   # useradd: a second user the capture agent's socket refuses
  libnss3-tools            # certutil: headless Chromium trusts a test CA (the hub over TLS)
  nats-server              # the cluster's hubs talk over a real NATS server (issue 16)
  haproxy                  # the load balancer in front of the cluster's hubs in its kill -9 test
)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "deps: installing ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${need[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
