package opus

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/tone"
)

// speechLike is a busy signal (several tones and noise, amplitude moving
// like syllables) that makes the encoder spend its whole budget.
func speechLike(n int) []int16 {
	r := rand.New(rand.NewPCG(7, 7))
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / SampleRate
		env := 0.5 + 0.5*math.Sin(2*math.Pi*4*t)
		v := 0.25*math.Sin(2*math.Pi*220*t) + 0.15*math.Sin(2*math.Pi*660*t) +
			0.1*math.Sin(2*math.Pi*1710*t) + 0.1*(2*r.Float64()-1)
		out[i] = int16(32767 * 0.8 * env * v)
	}
	return out
}

func newEncoder(t testing.TB, opts Options) *Encoder {
	t.Helper()
	e, err := NewEncoder(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// roundTrip encodes pcm block by block and decodes it back, dropping the
// encoder's lookahead so output lines up with input.
func roundTrip(t *testing.T, e *Encoder, pcm []int16) (out []int16, bytes int) {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	block := make([]int16, FrameSamples)
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		pkt, err := e.Encode(pcm[i:i+FrameSamples], time.Duration(i)*time.Second/SampleRate)
		if err != nil {
			t.Fatal(err)
		}
		if pkt.Track != capture.TrackAudio || !pkt.Key || pkt.PTS != time.Duration(i)*time.Second/SampleRate {
			t.Fatalf("packet %+v: want audio track, key, PTS of its first sample", pkt)
		}
		bytes += len(pkt.Data)
		n, err := d.Decode(pkt.Data, block)
		if err != nil {
			t.Fatal(err)
		}
		if n != FrameSamples {
			t.Fatalf("decoded %d samples, want %d", n, FrameSamples)
		}
		out = append(out, block...)
	}
	return out[e.Lookahead():], bytes
}

func TestToneSurvives(t *testing.T) {
	e := newEncoder(t, Options{})
	in := tone.Sine(2*SampleRate, SampleRate, 440, 0.5)
	out, _ := roundTrip(t, e, in)
	// The last second: past the codec's start-up.
	last := out[len(out)-SampleRate:]
	f, p := tone.Peak(last, SampleRate, 20, 20000)
	if math.Abs(f-440) > 5 {
		t.Errorf("decoded peak at %.1f Hz, want 440 ± 5", f)
	}
	if r := p / tone.Total(last); r < 0.9 {
		t.Errorf("440 Hz is %.2f of the decoded signal, want > 0.9", r)
	}
	if got, want := tone.Power(last, SampleRate, 440), tone.Power(in[:SampleRate], SampleRate, 440); math.Abs(got/want-1) > 0.2 {
		t.Errorf("tone power %.4f after the codec, %.4f before: want within 20%%", got, want)
	}
}

func TestBitrate(t *testing.T) {
	const secs = 10
	tests := []struct {
		name    string
		bitrate int
		pcm     []int16
		lo, hi  float64 // bits per second
	}{
		{"default 24 kbit/s on a busy signal, about 180 KB/min", 0, speechLike(secs * SampleRate), 24000 * 0.8, 24000 * 1.2},
		{"16 kbit/s", 16000, speechLike(secs * SampleRate), 16000 * 0.8, 16000 * 1.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEncoder(t, Options{Bitrate: tt.bitrate})
			_, n := roundTrip(t, e, tt.pcm)
			bps := float64(n) * 8 / secs
			t.Logf("%.0f bit/s, %.0f KB/min", bps, bps/8*60/1000)
			if bps < tt.lo || bps > tt.hi {
				t.Errorf("%.0f bit/s, want %.0f..%.0f", bps, tt.lo, tt.hi)
			}
		})
	}
}

// A pause is padded with silence (R-G4): one packet per 20 ms, tiny after
// the first 200 ms, decoded as silence; speech after it is coded normally.
func TestEncodeSilence(t *testing.T) {
	e := newEncoder(t, Options{})
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const frames = 10 * 50 // 10 s
	total := 0
	pcm := make([]int16, FrameSamples)
	loudest := 0
	for i := 0; i < frames; i++ {
		pts := time.Duration(i) * FrameDuration
		pkt, err := e.EncodeSilence(pts)
		if err != nil {
			t.Fatal(err)
		}
		if pkt.PTS != pts || len(pkt.Data) == 0 {
			t.Fatalf("silence packet %d: %d bytes at %v", i, len(pkt.Data), pkt.PTS)
		}
		total += len(pkt.Data)
		if _, err := d.Decode(pkt.Data, pcm); err != nil {
			t.Fatal(err)
		}
		for _, s := range pcm {
			loudest = max(loudest, int(s), -int(s))
		}
	}
	perMin := float64(total) * 6 / 1000
	t.Logf("silence: %.1f KB per minute", perMin)
	if perMin > 10 {
		t.Errorf("silence costs %.1f KB per minute, want under 10", perMin)
	}
	if loudest > 64 {
		t.Errorf("decoded silence reaches %d, want near 0", loudest)
	}
	// Speech after the pause: the tone is back, at full bitrate.
	in := tone.Sine(SampleRate, SampleRate, 440, 0.5)
	out, n := roundTrip(t, e, in)
	if n < 24000/8/2 {
		t.Errorf("1 s of tone after silence took %d bytes: DTX still on?", n)
	}
	if f, _ := tone.Peak(out[len(out)/2:], SampleRate, 20, 20000); math.Abs(f-440) > 5 {
		t.Errorf("tone after silence at %.1f Hz, want 440", f)
	}
}

func TestErrors(t *testing.T) {
	e := newEncoder(t, Options{})
	for _, n := range []int{0, 959, 961, 1920} {
		if _, err := e.Encode(make([]int16, n), 0); !errors.Is(err, ErrFrameSize) {
			t.Errorf("Encode of %d samples: %v, want ErrFrameSize", n, err)
		}
	}
	for _, o := range []Options{{Bitrate: 100}, {Bitrate: 600000}, {Complexity: 11}, {Complexity: -1}} {
		if _, err := NewEncoder(o); err == nil {
			t.Errorf("NewEncoder(%+v) = nil error", o)
		}
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Decode([]byte{0xff, 0xff, 0xff}, make([]int16, FrameSamples)); err == nil {
		t.Error("garbage packet decoded without error")
	}
	if _, err := d.Decode(nil, make([]int16, 10)); !errors.Is(err, ErrFrameSize) {
		t.Errorf("Decode into 10 samples: %v, want ErrFrameSize", err)
	}
	if n, err := d.Decode(nil, make([]int16, FrameSamples)); err != nil || n != FrameSamples {
		t.Errorf("lost packet: %d, %v; want %d concealed samples", n, err, FrameSamples)
	}
	for i := 0; i < 2; i++ {
		if err := d.Close(); err != nil {
			t.Errorf("decoder Close %d: %v", i, err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("encoder Close %d: %v", i, err)
		}
	}
	if _, err := e.Encode(make([]int16, FrameSamples), 0); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Encode after Close: %v, want capture.ErrClosed", err)
	}
	if _, err := d.Decode(nil, make([]int16, FrameSamples)); !errors.Is(err, capture.ErrClosed) {
		t.Errorf("Decode after Close: %v, want capture.ErrClosed", err)
	}
}

func TestHead(t *testing.T) {
	e := newEncoder(t, Options{})
	h := e.Head()
	if len(h) != 19 || string(h[:8]) != "OpusHead" || h[8] != 1 || h[9] != 1 {
		t.Fatalf("OpusHead % x", h)
	}
	if pre := int(h[10]) | int(h[11])<<8; pre != e.Lookahead() || pre <= 0 {
		t.Errorf("pre-skip %d, lookahead %d", pre, e.Lookahead())
	}
	if rate := int(h[12]) | int(h[13])<<8 | int(h[14])<<16 | int(h[15])<<24; rate != SampleRate {
		t.Errorf("input rate %d", rate)
	}
}

func benchEncode(b *testing.B, pcm []int16) { benchEncodeWith(b, pcm, Options{}) }

func benchEncodeWith(b *testing.B, pcm []int16, o Options) {
	e := newEncoder(b, o)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := e.Encode(pcm[i:i+FrameSamples], 0); err != nil {
			b.Fatal(err)
		}
		i = (i + FrameSamples) % (len(pcm) - FrameSamples)
	}
}

// BenchmarkEncode is the cost of one 20 ms frame of busy audio.
func BenchmarkEncode(b *testing.B) { benchEncode(b, speechLike(10*SampleRate)) }

// BenchmarkEncodeComplexity is the cost of one 20 ms frame of the
// speech-like voice at each complexity (quality_test.go measures what
// each keeps of it).
func BenchmarkEncodeComplexity(b *testing.B) {
	pcm := voice(10 * SampleRate)
	for _, c := range []int{1, 2, 3, 5, 10} {
		b.Run(fmt.Sprint(c), func(b *testing.B) { benchEncodeWith(b, pcm, Options{Complexity: c}) })
	}
}

// BenchmarkEncodeZeros is the cost of one 20 ms frame of digital silence
// from the microphone (DTX off).
func BenchmarkEncodeZeros(b *testing.B) { benchEncode(b, make([]int16, 10*SampleRate)) }

// BenchmarkEncodeSilence is the cost of one 20 ms frame of a pause.
func BenchmarkEncodeSilence(b *testing.B) {
	e := newEncoder(b, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EncodeSilence(0); err != nil {
			b.Fatal(err)
		}
	}
}
