package main

import (
	"fmt"
	"path/filepath"
)

// The systemd units. The user unit runs in the user's session (its
// display and sound server); the system template capture-agent@USER runs
// the agent for USER from PID 1, for fleet tools that enable it per user.
const (
	userUnitName     = "capture-agent.service"
	templateUnitName = "capture-agent@.service"
)

// userUnit is the user unit for the binary at bin.
func userUnit(bin string) string {
	return fmt.Sprintf(`# Written by capture-agent install; capture-agent uninstall removes it.
[Unit]
Description=agentdesk capture agent (screen and voice recording of recorded chats)
Documentation=man:capture-agent(1) man:capture.yaml(5)
After=graphical-session.target pulseaudio.service pipewire-pulse.service

[Service]
Type=exec
ExecStart=%s run
Restart=on-failure
RestartSec=5s
# a bad config (2) or a second agent (4) is not fixed by restarting
RestartPreventExitStatus=2 4
TimeoutStopSec=30s

[Install]
WantedBy=default.target
`, bin)
}

// templateUnit is the system template unit for the binary at bin.
func templateUnit(bin string) string {
	return fmt.Sprintf(`# Written by capture-agent install --system; capture-agent uninstall --system removes it.
# Enable it per user: capture-agent install --system --user NAME
# (or systemctl enable --now capture-agent@NAME.service).
[Unit]
Description=agentdesk capture agent for %%i (screen and voice recording of recorded chats)
Documentation=man:capture-agent(1) man:capture.yaml(5)
After=network-online.target systemd-user-sessions.service

[Service]
Type=exec
User=%%i
ExecStart=%s run
# the socket the user's desktop finds (capture.sock under /run/agentdesk/USER)
RuntimeDirectory=agentdesk/%%i
RuntimeDirectoryMode=0700
Environment=CAPTURE_AGENT_SOCKET=/run/agentdesk/%%i/capture.sock
# the X display of the user's session; capture.display in the config wins
Environment=DISPLAY=:0
Restart=on-failure
RestartSec=5s
RestartPreventExitStatus=2 4
TimeoutStopSec=30s

[Install]
WantedBy=graphical.target
`, bin)
}

// unitPlan says what install writes and links, under a root ("/" on a
// real machine).
type unitPlan struct {
	unitPath string // the unit file
	text     string
	linkPath string // the enabling symlink ("" for the bare template)
	linkTo   string // what the link points at
	instance string // the unit systemctl starts ("" none)
	user     bool   // systemctl --user
}

// planUser is the user unit under home's config folder.
func planUser(configHome, bin string) unitPlan {
	dir := filepath.Join(configHome, "systemd", "user")
	unit := filepath.Join(dir, userUnitName)
	return unitPlan{unitPath: unit, text: userUnit(bin), linkPath: filepath.Join(dir, "default.target.wants", userUnitName),
		linkTo: unit, instance: userUnitName, user: true}
}

// planSystem is the template under root, enabled for user when given.
func planSystem(root, bin, user string) unitPlan {
	dir := filepath.Join(root, "etc", "systemd", "system")
	p := unitPlan{unitPath: filepath.Join(dir, templateUnitName), text: templateUnit(bin)}
	if user != "" {
		inst := "capture-agent@" + user + ".service"
		p.linkPath = filepath.Join(dir, "graphical.target.wants", inst)
		p.linkTo = filepath.Join("/etc/systemd/system", templateUnitName)
		p.instance = inst
	}
	return p
}
