package webm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	mkv "github.com/at-wat/ebml-go/webm"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
)

// merger reads the two tracks' cursors in time order (video first on a tie).
type merger struct {
	v, a         *spool.Cursor
	pv, pa       capture.Packet
	hasV, hasA   bool
	doneV, doneA bool
}

func (m *merger) fill(c *spool.Cursor, p *capture.Packet, has, done *bool) error {
	if c == nil || *has || *done {
		if c == nil {
			*done = true
		}
		return nil
	}
	q, err := c.Next()
	if err == io.EOF {
		*done = true
		return nil
	}
	if err != nil {
		return err
	}
	// q.Data is the cursor's buffer: valid until this cursor's next
	// read, which comes after the packet was copied into a cluster.
	*p, *has = q, true
	return nil
}

func (m *merger) next() (capture.Packet, error) {
	if err := m.fill(m.v, &m.pv, &m.hasV, &m.doneV); err != nil {
		return capture.Packet{}, err
	}
	if err := m.fill(m.a, &m.pa, &m.hasA, &m.doneA); err != nil {
		return capture.Packet{}, err
	}
	switch {
	case m.hasV && (!m.hasA || m.pv.PTS <= m.pa.PTS):
		m.hasV = false
		return m.pv, nil
	case m.hasA:
		m.hasA = false
		return m.pa, nil
	}
	return capture.Packet{}, io.EOF
}

// clusterWriter gathers SimpleBlocks into clusters of known size.
type clusterWriter struct {
	w          *countWriter
	videoTrack bool
	cueTrack   capture.Track // the track the Cues point at
	segStart   int64
	cues       []mkv.CuePoint
	cueKey     bool // the open cluster begins with a point to seek to
	buf        bytes.Buffer
	start      time.Duration
	open       bool
	last       time.Duration
}

// add writes p as a SimpleBlock, or as a BlockGroup with a BlockDuration
// when dur > 0 (subtitles).
func (c *clusterWriter) add(p capture.Packet, dur time.Duration) error {
	pts := max(p.PTS, c.last) // blocks stay in order even if a track stamped backwards
	c.last = pts
	ms := pts / time.Millisecond
	age := pts - c.start
	// A keyframe starts a cluster (and so a cue point) once the open
	// one is MinCluster long, or at once when the open one has no cue
	// point (it was cut at MaxCluster on a delta frame): every keyframe
	// is then less than MinCluster after a cue point, and a seek near it
	// decodes from there, not from the keyframe before.
	startNew := !c.open || age >= MaxCluster ||
		(p.Track == capture.TrackVideo && p.Key && (age >= MinCluster || !c.cueKey)) ||
		(!c.videoTrack && age >= MinCluster)
	if startNew {
		if err := c.flush(); err != nil {
			return err
		}
		c.start, c.open = ms*time.Millisecond, true
		c.cueKey = p.Track == capture.TrackVideo && p.Key || !c.videoTrack && p.Track == c.cueTrack
		writeElement(&c.buf, []byte{0xE7}, uintBytes(uint64(ms)))
	}
	rel := int16((pts - c.start) / time.Millisecond)
	var flags byte
	if p.Key || p.Track == capture.TrackAudio {
		flags = 0x80
	}
	block := make([]byte, 0, 4+len(p.Data))
	block = append(block, 0x80|byte(p.Track), byte(uint16(rel)>>8), byte(rel), flags)
	block = append(block, p.Data...)
	if dur <= 0 {
		writeElement(&c.buf, []byte{0xA3}, block)
		return nil
	}
	block[3] = 0 // a Block's flags have no keyframe bit
	var g bytes.Buffer
	writeElement(&g, []byte{0xA1}, block)
	writeElement(&g, []byte{0x9B}, uintBytes(uint64(dur/time.Millisecond)))
	writeElement(&c.buf, []byte{0xA0}, g.Bytes())
	return nil
}

func (c *clusterWriter) flush() error {
	if !c.open {
		return nil
	}
	if c.cueKey {
		track := c.cueTrack
		c.cues = append(c.cues, mkv.CuePoint{CueTime: uint64(c.start / time.Millisecond),
			CueTrackPositions: []mkv.CueTrackPosition{{CueTrack: uint64(track), CueClusterPosition: uint64(c.w.n - c.segStart)}}})
	}
	var head bytes.Buffer
	head.Write([]byte{0x1F, 0x43, 0xB6, 0x75})
	head.Write(sizeVint(uint64(c.buf.Len())))
	if _, err := c.w.Write(head.Bytes()); err != nil {
		return fmt.Errorf("webm: %w", err)
	}
	if _, err := c.w.Write(c.buf.Bytes()); err != nil {
		return fmt.Errorf("webm: %w", err)
	}
	c.buf.Reset()
	c.open = false
	return nil
}

func writeElement(b *bytes.Buffer, id, data []byte) {
	b.Write(id)
	b.Write(sizeVint(uint64(len(data))))
	b.Write(data)
}

// sizeVint encodes n as an 8-byte EBML size.
func sizeVint(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	b[0] = 0x01
	return b
}

func uintBytes(n uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, n)
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
