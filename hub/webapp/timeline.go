package webapp

import (
	"slices"
	"strconv"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
)

// Timeline maps the wall time of a recording onto its file's time, the
// way the desktop lays the file out (DESIGN.md "Recording file",
// capture/webm's parts): the parts follow each other with the stopped
// time between them cut, and the paused time inside a part padded (a
// slate and silence), so it stays. A moment in a cut maps to where the
// cut is. A recording without parts is timed from its first line.
type Timeline struct {
	segs []segment
	end  time.Duration
}

type segment struct {
	from, to time.Time
	at       time.Duration // file time where it begins
	pauses   []session.Span
}

// NewTimeline lays out rec's parts. A part still open (no End) ends at
// rec.FinishedAt, or at its last line.
func NewTimeline(rec store.Recording) Timeline {
	var t Timeline
	for _, p := range rec.Parts {
		end := p.End
		if end.IsZero() {
			end = rec.FinishedAt
		}
		for _, l := range rec.Lines {
			if p.End.IsZero() && l.At.After(end) {
				end = l.At
			}
		}
		if p.Start.IsZero() || end.Before(p.Start) {
			continue
		}
		t.segs = append(t.segs, segment{from: p.Start, to: end, at: t.end, pauses: p.Pauses})
		t.end += end.Sub(p.Start)
	}
	if len(t.segs) == 0 && len(rec.Lines) > 0 {
		first, last := rec.Lines[0].At, rec.Lines[0].At
		for _, l := range rec.Lines {
			first, last = minTime(first, l.At), maxTime(last, l.At)
		}
		t.segs = []segment{{from: first, to: last}}
		t.end = last.Sub(first)
	}
	return t
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Map is the file time of wall time w, and whether w falls inside a
// part (false: in a cut or outside the recording; the time is then where
// the cut is).
func (t Timeline) Map(w time.Time) (time.Duration, bool) {
	for _, s := range t.segs {
		switch {
		case w.Before(s.from):
			return s.at, false
		case !w.After(s.to):
			return s.at + w.Sub(s.from), true
		}
	}
	return t.end, false
}

// Length is the file's length as the parts say.
func (t Timeline) Length() time.Duration { return t.end }

// Chapter is a stretch of the file the player draws on its timeline.
type Chapter struct {
	Kind       string // "part" or "pause"
	Label      string
	Start, End float64 // seconds of file time
}

// Chapters are the parts (numbered when there are several) and the
// pauses inside them, labelled with who paused and why when the log
// says.
func (t Timeline) Chapters(log []session.RecChange) []Chapter {
	var out []Chapter
	for i, s := range t.segs {
		label := "Recording"
		if len(t.segs) > 1 {
			label = "Part " + strconv.Itoa(i+1)
		}
		out = append(out, Chapter{Kind: "part", Label: label, Start: s.at.Seconds(), End: (s.at + s.to.Sub(s.from)).Seconds()})
		for _, p := range s.pauses {
			to := p.To
			if to.IsZero() || to.After(s.to) {
				to = s.to
			}
			a, _ := t.Map(p.From)
			b, _ := t.Map(to)
			if b <= a {
				continue
			}
			out = append(out, Chapter{Kind: "pause", Label: pauseLabel(p.From, log), Start: a.Seconds(), End: b.Seconds()})
		}
	}
	return out
}

// pauseLabel says who paused at from (the log's change to "paused" at
// that moment, within a second).
func pauseLabel(from time.Time, log []session.RecChange) string {
	i := slices.IndexFunc(log, func(c session.RecChange) bool {
		d := c.At.Sub(from)
		return c.To == session.RecPaused.String() && d < time.Second && d > -time.Second
	})
	if i < 0 {
		return "Paused"
	}
	by := log[i].By
	l := "Paused by " + by.Role
	if by.ID != "" {
		l += " " + by.ID
	}
	if by.Reason != "" {
		l += " (" + by.Reason + ")"
	}
	return l
}
