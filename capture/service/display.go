package service

import (
	"errors"
	"fmt"
)

// ErrWayland is wrapped by WaylandSession's refusal.
var ErrWayland = errors.New("wayland session")

// WaylandSession tells whether the session is Wayland (WAYLAND_DISPLAY
// set, or XDG_SESSION_TYPE=wayland) and, when it is, why the screen is
// refused, in words. An X11 screen grabbed under Xwayland shows only the
// X clients' windows, so it is not recorded as if it were the screen;
// capture through the desktop portal's ScreenCast (PipeWire) is not built
// in (docs/capture-service.md says what that would take). The voice is
// recorded all the same.
func WaylandSession(getenv func(string) string) (bool, error) {
	wd, st := getenv("WAYLAND_DISPLAY"), getenv("XDG_SESSION_TYPE")
	if wd == "" && st != "wayland" {
		return false, nil
	}
	what := "XDG_SESSION_TYPE=wayland"
	if wd != "" {
		what = "WAYLAND_DISPLAY=" + wd
	}
	return true, fmt.Errorf("%w (%s): the screen is not recorded: X11 capture would show only Xwayland windows, "+
		"and capture through the desktop portal's ScreenCast (PipeWire) is not built into this capture-agent — "+
		"recording voice and transcript only; log in to an X11 (Xorg) session to record the screen", ErrWayland, what)
}
