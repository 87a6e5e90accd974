package webm

import (
	"fmt"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/capture"
)

// Part is a stretch of a spool's media time that a file holds: one part
// of a recording, from the moment it was started (or continued) to the
// moment it was stopped (issue 11 point 19). To < 0 runs to the end.
//
// A stop is not a pause. A pause stays inside its part, padded with
// silence and the slate so the timeline stays true (R-G4); a stop ends the
// part, and the next part follows it in the file at once: the stopped time
// is not in the file at all.
type Part struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// timeline maps spool media time onto a file made of parts, one after
// the other. The zero timeline (no parts) holds the whole spool as it is.
type timeline struct {
	parts []Part          // sorted, not overlapping, To resolved
	at    []time.Duration // file time where each part begins
	end   time.Duration   // the file's length
}

// newTimeline sorts and closes the parts (an open part ends at mediaEnd)
// and drops empty ones.
func newTimeline(parts []Part, mediaEnd time.Duration) *timeline {
	tl := &timeline{}
	ps := slices.Clone(parts)
	slices.SortFunc(ps, func(a, b Part) int { return cmpDur(a.From, b.From) })
	for _, p := range ps {
		p.From = max(p.From, 0)
		if p.To < 0 || p.To > mediaEnd {
			p.To = mediaEnd
		}
		if n := len(tl.parts); n > 0 && p.From < tl.parts[n-1].To {
			p.From = tl.parts[n-1].To // overlapping parts: the first wins
		}
		if p.To <= p.From {
			continue
		}
		tl.at = append(tl.at, tl.end)
		tl.parts = append(tl.parts, p)
		tl.end += p.To - p.From
	}
	return tl
}

// Map returns the file time of spool media time t, and whether t is in a
// part (ok false: t was cut, the file time is where the cut is).
func (tl *timeline) Map(t time.Duration) (time.Duration, bool) {
	for i, p := range tl.parts {
		switch {
		case t < p.From:
			return tl.at[i], false
		case t < p.To:
			return tl.at[i] + t - p.From, true
		}
	}
	return tl.end, false
}

// MapTime maps spool media time t onto the file that holds parts (see
// Part): the file time, and false when t falls in a cut (the time given
// is then where the cut is in the file). Callers use it for what they
// time themselves, the subtitles.
func MapTime(parts []Part, mediaEnd, t time.Duration) (time.Duration, bool) {
	return newTimeline(parts, mediaEnd).Map(t)
}

// Length is the length of the file that holds parts of a spool whose
// media ends at mediaEnd.
func Length(parts []Part, mediaEnd time.Duration) time.Duration {
	return newTimeline(parts, mediaEnd).end
}

// cutter passes the packets of the parts on, moved to file time; a video
// packet that would open a part without a keyframe waits for the next
// keyframe (a part cut out of continuous video).
type cutter struct {
	tl      *timeline
	part    int // the part of the last video packet passed on
	needKey bool
}

func newCutter(tl *timeline) *cutter { return &cutter{tl: tl, part: -1} }

// keep maps p and reports whether it goes into the file.
func (c *cutter) keep(p *capture.Packet) bool {
	for i, pt := range c.tl.parts {
		if p.PTS < pt.From || p.PTS >= pt.To {
			continue
		}
		if p.Track == capture.TrackVideo {
			if i != c.part {
				c.part, c.needKey = i, true
			}
			if c.needKey && !p.Key {
				return false
			}
			c.needKey = false
		}
		p.PTS = c.tl.at[i] + p.PTS - pt.From
		return true
	}
	return false
}

// partChapters are the chapters of a file of parts: one per part, and
// inside them the pauses and the voice stop, in file time.
func partChapters(tl *timeline, marks []capture.Mark) chapters {
	var ed edition
	uid := uint64(1)
	add := func(start, end time.Duration, name string) {
		a := chapterAtom{ChapterUID: uid, ChapterTimeStart: uint64(start),
			ChapterDisplay: []chapterDisplay{{ChapString: name, ChapLanguage: "eng"}}}
		if end > start {
			a.ChapterTimeEnd = uint64(end)
		}
		ed.ChapterAtom = append(ed.ChapterAtom, a)
		uid++
	}
	for i, p := range tl.parts {
		add(tl.at[i], tl.at[i]+p.To-p.From, fmt.Sprintf("part %d", i+1))
		for j, m := range marks {
			// the voice stops as the chat ends, which ends the part: a
			// moment after its end it still belongs to it
			late := m.Kind == capture.MarkVoiceStop && m.PTS >= p.To && m.PTS < p.To+time.Second &&
				(i+1 == len(tl.parts) || m.PTS < tl.parts[i+1].From)
			if m.PTS < p.From || (m.PTS >= p.To && !late) {
				continue
			}
			at := tl.at[i] + min(m.PTS, p.To) - p.From
			switch m.Kind {
			case capture.MarkPause:
				end := tl.at[i] + p.To - p.From // a pause the part ended in runs to its end
				for _, r := range marks[j+1:] {
					if r.Kind == capture.MarkResume && r.PTS <= p.To {
						end = tl.at[i] + r.PTS - p.From
						break
					}
				}
				add(at, end, chapterName(m))
			case capture.MarkVoiceStop, capture.MarkError:
				add(at, 0, chapterName(m))
			}
		}
	}
	return chapters{EditionEntry: []edition{ed}}
}
