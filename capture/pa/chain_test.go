package pa

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/opus"
	"github.com/agentdesk/agentdesk/capture/tone"
)

// The whole audio path: PulseAudio's sine through PortAudio, Opus and back
// still is 440 Hz.
func TestMicThroughOpus(t *testing.T) {
	pulse.Start(t)
	m := open(t, Options{})
	enc, err := opus.NewEncoder(opus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := opus.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	block := make([]int16, enc.FrameSamples())
	var out []int16
	for i := 0; i < 75; i++ { // 1.5 s
		if err := m.Read(block); err != nil {
			t.Fatal(err)
		}
		pkt, err := enc.Encode(block, time.Duration(i)*opus.FrameDuration)
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, opus.FrameSamples)
		if _, err := dec.Decode(pkt.Data, pcm); err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm...)
	}
	last := out[len(out)-48000:]
	f, p := tone.Peak(last, 48000, 20, 20000)
	if math.Abs(f-440) > 5 || p/tone.Total(last) < 0.9 {
		t.Errorf("after Opus: peak %.1f Hz holding %.2f of the power, want 440 Hz and > 0.9", f, p/tone.Total(last))
	}
}

// Bursts fed into the pipe source come out of the microphone in order,
// spaced as they were queued to the sample (what the sync test relies on).
func TestPipeBurstsThroughMic(t *testing.T) {
	s := pulse.Start(t)
	pipe, err := s.PipeSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := open(t, Options{})
	first := make([]int16, 960)
	if err := m.Read(first); err != nil { // the stream runs: the pipe is read
		t.Fatal(err)
	}
	var at []time.Time
	for _, gap := range []int{200, 450, 700} { // ms of silence before each burst
		if _, err := pipe.Play(make([]int16, gap*48)); err != nil {
			t.Fatal(err)
		}
		a, err := pipe.Burst(1000, 60*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, a)
	}
	pcm := make([]int16, 48000*25/10)
	if err := m.Read(pcm); err != nil {
		t.Fatal(err)
	}
	on := tone.Onsets(pcm, 48000, 1000, 0.1)
	if len(on) != 3 {
		t.Fatalf("onsets %v, want 3", on)
	}
	for i := 1; i < 3; i++ {
		want := at[i].Sub(at[i-1])
		if d := on[i] - on[i-1] - want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("bursts %d and %d recorded %v apart, queued %v apart", i-1, i, on[i]-on[i-1], want)
		}
	}
}
