package webm

import (
	"bytes"
	"fmt"
	"io"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/asciicast"
	"github.com/agentdesk/agentdesk/capture/spool"
)

// CastName is the file name of the text desktop's cast attached to the
// WebM (asciicast v2, asciicast.MimeType).
const CastName = "terminal.cast"

// Cast is the asciicast v2 stream of the spool's text desktop
// (capture.TrackTerminal packets): its times are the recording's media
// times, its size the first one the desktop had (80x24 when none was
// said).
func Cast(rec *spool.Recording, title string) ([]byte, error) { return castOf(rec, title, nil) }

// castOf is Cast on the file's timeline: with parts (issue 11 point 19)
// the frames between them are left out and the others moved to the
// file's time, as the media are.
func castOf(rec *spool.Recording, title string, tl *timeline) ([]byte, error) {
	var evs []asciicast.Event
	cur := rec.Cursor(capture.TrackTerminal)
	for {
		p, err := cur.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("webm: read spool: %w", err)
		}
		if tl != nil {
			at, in := tl.Map(p.PTS)
			if !in {
				continue
			}
			p.PTS = at
		}
		e, err := asciicast.FromPacket(p)
		if err != nil {
			return nil, fmt.Errorf("webm: %w", err)
		}
		evs = append(evs, e)
	}
	h := asciicast.Header{Width: 80, Height: 24, Title: title, Timestamp: rec.Header.Started.Unix()}
	if rec.Header.Started.IsZero() {
		h.Timestamp = 0
	}
	for _, e := range evs {
		if e.Type == "r" {
			if c, r, err := asciicast.Size(e.Data); err == nil {
				h.Width, h.Height = c, r
			}
			break
		}
	}
	var buf bytes.Buffer
	w, err := asciicast.NewWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	for i, e := range evs {
		if i == 0 && e.Type == "r" {
			continue // the header says it
		}
		if err := w.Write(e); err != nil {
			return nil, err
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// attachmentsOf attaches the cast (none when empty).
func attachmentsOf(cast []byte) attachments {
	if len(cast) == 0 {
		return attachments{}
	}
	return attachments{AttachedFile: []attachedFile{{FileDescription: "the agent's text desktop as drawn (asciicast v2)",
		FileName: CastName, FileMimeType: asciicast.MimeType, FileData: cast, FileUID: 1}}}
}
