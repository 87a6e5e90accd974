package ingest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/synth"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/webm"
)

// seekFPS is the frame rate of the recordings the seek tests make (the
// capture agent's default).
const seekFPS = vpx.DefaultFPS

// recordingSpec says what makeRecording encodes.
type recordingSpec struct {
	Length        time.Duration
	Width, Height int
	Bitrate       int // VP8 kbit/s
	// Busy is the number of rows under the colour bars that change
	// every frame (pseudo-random, like a screen of scrolling text): a
	// busy screen costs the encoder bytes.
	Busy int
	// Loop, when set, encodes only the first Loop of the recording and
	// repeats its packets (their times moved on) to Length: the same
	// keyframe spacing, cluster sizes, cues and bit rate as a recording
	// encoded to the end, at a fraction of the encoding time. It must be
	// a whole number of keyframe intervals (vpx.KeyInterval), so each
	// repetition starts at a keyframe. The frame number the screen draws
	// then counts from 0 again each Loop. Zero: every frame is encoded.
	Loop time.Duration
	// KeyEvery, when set, forces a keyframe at every multiple of it
	// (the encoder makes one at least every vpx.KeyInterval anyway).
	KeyEvery time.Duration
}

// wantFrame is the frame number the synthetic screen drew at target
// seconds into a recording of spec.
func (spec recordingSpec) wantFrame(target float64) int {
	n := int(target * seekFPS)
	if spec.Loop > 0 {
		n %= int(spec.Loop.Seconds() * seekFPS)
	}
	return n
}

// scribble overwrites rows of f's luma plane (from a third of its
// height) with a new pseudo-random pattern.
func scribble(f *capture.Frame, state *uint64, rows int) {
	from := f.Height / 3
	rows = min(rows, f.Height-from)
	for i := from * f.Width; i < (from+rows)*f.Width; i += 8 {
		*state = *state*6364136223846793005 + 1442695040888963407
		x := *state
		for j := 0; j < 8 && i+j < len(f.Y); j++ {
			f.Y[i+j] = byte(x>>(8*j)) | 0x3F
		}
	}
}

// makeRecording writes a WebM of spec to path the way the capture agent
// does: the synthetic screen (colour bars, a moving block, busy rows, and
// the frame number as 16 binary blocks along the bottom edge) encoded by
// capture/vpx frame by frame, a 440 Hz tone encoded by capture/opus in
// 20 ms blocks, both through a spool, muxed by capture/webm (its SeekHead
// and Cues included). It returns the time encoding and muxing took.
func makeRecording(path string, spec recordingSpec) (time.Duration, error) {
	start := time.Now()
	if spec.Loop > 0 && (spec.Loop%vpx.KeyInterval != 0 || spec.Loop > spec.Length) {
		return 0, fmt.Errorf("loop %v: want whole keyframe intervals (%v), at most the length", spec.Loop, vpx.KeyInterval)
	}
	sp := path + ".spool"
	sw, err := spool.Create(sp, spool.Header{VideoCodec: "V_VP8", Width: spec.Width, Height: spec.Height, FPS: seekFPS,
		AudioCodec: "A_OPUS", SampleRate: 48000, Channels: 1, PreSkip: opusPreSkip,
		Started: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), Tags: map[string]string{"agent": "ada", "kind": "record"}},
		spool.Options{SyncEvery: time.Hour})
	if err != nil {
		return 0, err
	}
	defer os.Remove(sp)
	if err := sw.WriteMark(capture.Mark{Kind: capture.MarkStart}); err != nil {
		sw.Close()
		return 0, err
	}
	if spec.Loop == 0 {
		err = encode(spec, spec.Length, sw.WritePacket)
	} else {
		var pkts []capture.Packet
		if err = encode(spec, spec.Loop, func(p capture.Packet) error { pkts = append(pkts, p); return nil }); err == nil {
			err = writeRepeated(sw, pkts, spec.Loop, spec.Length)
		}
	}
	if err == nil {
		err = sw.WriteMark(capture.Mark{Kind: capture.MarkStop, PTS: spec.Length})
	}
	if err != nil {
		sw.Close()
		return 0, err
	}
	if err := sw.Close(); err != nil {
		return 0, err
	}
	rec, err := spool.Recover(sp)
	if err != nil {
		return 0, err
	}
	defer rec.Close()
	out, err := os.Create(filepath.Clean(path))
	if err != nil {
		return 0, err
	}
	if err := webm.Write(out, rec, webm.Meta{Title: "seek test"}); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// writeRepeated writes pkts (length long, in time order) into sw again and
// again, their times moved on, until total.
func writeRepeated(sw *spool.Writer, pkts []capture.Packet, length, total time.Duration) error {
	for base := time.Duration(0); base < total; base += length {
		for _, p := range pkts {
			if p.PTS+base >= total {
				break
			}
			p.PTS += base
			if err := sw.WritePacket(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// opusPreSkip is libopus's look-ahead at 48 kHz in VOIP mode (312
// samples), the pre-skip the capture agent writes; encode checks it.
const opusPreSkip = 312

// encode encodes length of screen and tone and hands each packet, in time
// order, to emit; the packets' Data are emit's to keep.
func encode(spec recordingSpec, length time.Duration, emit func(capture.Packet) error) error {
	venc, err := vpx.NewEncoder(vpx.Options{Width: spec.Width, Height: spec.Height, FPS: seekFPS, Bitrate: spec.Bitrate})
	if err != nil {
		return err
	}
	defer venc.Close()
	aenc, err := opus.NewEncoder(opus.Options{})
	if err != nil {
		return err
	}
	defer aenc.Close()
	if aenc.Lookahead() != opusPreSkip {
		return fmt.Errorf("opus look-ahead %d, the spool says %d", aenc.Lookahead(), opusPreSkip)
	}
	screen := synth.NewScreen(synth.ScreenOptions{Width: spec.Width, Height: spec.Height})
	mic := synth.NewMic(synth.MicOptions{Freq: 440})
	frame := capture.NewFrame(spec.Width, spec.Height)
	pcm := make([]int16, aenc.FrameSamples())
	block := time.Duration(aenc.FrameSamples()) * time.Second / 48000
	var vpts, apts time.Duration
	var noise uint64
	for vpts < length || apts < length {
		if vpts <= apts && vpts < length {
			if _, err := screen.Grab(frame); err != nil {
				return err
			}
			scribble(frame, &noise, spec.Busy)
			key := spec.KeyEvery > 0 && vpts%spec.KeyEvery == 0
			pkts, err := venc.Encode(frame, vpts, key) // the packets are ours
			if err != nil {
				return fmt.Errorf("frame at %v: %w", vpts, err)
			}
			for _, p := range pkts {
				if err := emit(p); err != nil {
					return err
				}
			}
			vpts += time.Second / seekFPS
			continue
		}
		if err := mic.Read(pcm); err != nil {
			return err
		}
		p, err := aenc.Encode(pcm, apts)
		if err != nil {
			return fmt.Errorf("audio at %v: %w", apts, err)
		}
		p.Data = slices.Clone(p.Data) // valid until the next Encode
		if err := emit(p); err != nil {
			return err
		}
		apts += block
	}
	return nil
}
