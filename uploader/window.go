package uploader

import (
	"fmt"
	"strings"
	"time"
)

// Window is a daily upload window in local clock time (R-V3). End before
// Start wraps over midnight ("22:00-02:00"); Start equal to End is all day.
type Window struct {
	Start, End time.Duration // since midnight
}

// ParseWindow parses "HH:MM-HH:MM", e.g. "01:00-05:00".
func ParseWindow(s string) (Window, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("%w: %q: want HH:MM-HH:MM", ErrBadWindow, s)
	}
	start, err := parseClock(a)
	if err != nil {
		return Window{}, fmt.Errorf("%w: %q: %v", ErrBadWindow, s, err)
	}
	end, err := parseClock(b)
	if err != nil {
		return Window{}, fmt.Errorf("%w: %q: %v", ErrBadWindow, s, err)
	}
	return Window{Start: start, End: end}, nil
}

// ParseWindows parses several windows, e.g. from a config list.
func ParseWindows(ss []string) ([]Window, error) {
	ws := make([]Window, 0, len(ss))
	for _, s := range ss {
		w, err := ParseWindow(s)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) < 4 || len(s) > 5 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// String returns the window as "HH:MM-HH:MM".
func (w Window) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(w.Start) + "-" + f(w.End)
}

// contains reports whether the time of day tod lies inside w.
func (w Window) contains(tod time.Duration) bool {
	switch {
	case w.Start == w.End:
		return true
	case w.Start < w.End:
		return tod >= w.Start && tod < w.End
	default: // wraps over midnight
		return tod >= w.Start || tod < w.End
	}
}

// NextOpen reports whether an upload may run at now under ws (always, when
// ws is empty) and, when it may not, the time the next window opens.
func NextOpen(ws []Window, now time.Time) (open bool, at time.Time) {
	if len(ws) == 0 {
		return true, now
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	tod := now.Sub(midnight)
	var best time.Time
	for _, w := range ws {
		if w.contains(tod) {
			return true, now
		}
		start := midnight.Add(w.Start)
		if !start.After(now) {
			start = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, now.Location()).Add(w.Start)
		}
		if best.IsZero() || start.Before(best) {
			best = start
		}
	}
	return false, best
}
