package service

import (
	"fmt"
	"path/filepath"
)

// Env is what the service reads of its environment: the variables and the
// user id. main fills it from the process; tests set it.
type Env struct {
	Getenv func(string) string
	UID    int
}

// SocketEnv names the variable that overrides the socket's path (the
// system template unit sets it per user).
const SocketEnv = "CAPTURE_AGENT_SOCKET"

// SocketPath is the control socket: $CAPTURE_AGENT_SOCKET, else
// service.socket, else $XDG_RUNTIME_DIR/agentdesk/capture.sock, else
// /run/user/UID/agentdesk/capture.sock.
func SocketPath(c Config, env Env) string {
	if p := env.Getenv(SocketEnv); p != "" {
		return p
	}
	if c.Socket != "" {
		return c.Socket
	}
	dir := env.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", env.UID)
	}
	return filepath.Join(dir, "agentdesk", "capture.sock")
}

// SystemSocket is where the system template unit (capture-agent@USER)
// puts the socket of USER's service.
func SystemSocket(user string) string {
	return filepath.Join("/run/agentdesk", user, "capture.sock")
}

// SocketCandidates are the sockets a desktop tries, in order: the one
// SocketPath names, then the system template's for the user.
func SocketCandidates(c Config, env Env) []string {
	out := []string{SocketPath(c, env)}
	if u := env.Getenv("USER"); u != "" && env.Getenv(SocketEnv) == "" {
		out = append(out, SystemSocket(u))
	}
	return out
}

// StateDir is where the service keeps what it must not lose: the spool,
// the queue, the hub the desktop gave. $XDG_STATE_HOME/agentdesk, else
// ~/.local/state/agentdesk.
func StateDir(env Env) string {
	if d := env.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "agentdesk")
	}
	return filepath.Join(env.Getenv("HOME"), ".local", "state", "agentdesk")
}

// SpoolDir is spool_dir, else StateDir/capture.
func SpoolDir(c Config, env Env) string {
	if c.SpoolDir != "" {
		return c.SpoolDir
	}
	return filepath.Join(StateDir(env), "capture")
}

// LogFile is service.log_file, else capture-agent.log beside the spool.
func LogFile(c Config, env Env) string {
	if c.LogFile != "" {
		return c.LogFile
	}
	return filepath.Join(filepath.Dir(SpoolDir(c, env)), "capture-agent.log")
}
