package tone

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

const rate = 48000

func noise(n int, amp float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * (2*r.Float64() - 1))
	}
	return out
}

func mix(parts ...[]int16) []int16 {
	out := make([]int16, len(parts[0]))
	for _, p := range parts {
		for i := range out {
			out[i] += p[i]
		}
	}
	return out
}

func TestPower(t *testing.T) {
	tests := []struct {
		name    string
		samples []int16
		freq    float64
		lo, hi  float64 // expected power range
	}{
		{"full-scale sine at its frequency", Sine(rate, rate, 440, 1), 440, 0.49, 0.51},
		{"half-scale sine: a quarter of the power", Sine(rate, rate, 440, 0.5), 440, 0.12, 0.13},
		{"sine measured at another frequency", Sine(rate, rate, 440, 1), 1000, 0, 1e-6},
		{"silence", make([]int16, rate), 440, 0, 0},
		{"empty", nil, 440, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := Power(tt.samples, rate, tt.freq); p < tt.lo || p > tt.hi {
				t.Errorf("Power = %v, want in [%v, %v]", p, tt.lo, tt.hi)
			}
		})
	}
	if p := Power(Sine(100, rate, 440, 1), 0, 440); p != 0 {
		t.Errorf("Power with rate 0 = %v, want 0", p)
	}
}

func TestTotalAndPurity(t *testing.T) {
	clean := Sine(rate, rate, 440, 0.5)
	if got := Power(clean, rate, 440) / Total(clean); math.Abs(got-1) > 0.01 {
		t.Errorf("clean tone purity = %v, want ~1", got)
	}
	noisy := noise(rate, 0.5, 1)
	if got := Power(noisy, rate, 440) / Total(noisy); got > 0.01 {
		t.Errorf("noise purity at 440 Hz = %v, want < 0.01", got)
	}
	if Total(nil) != 0 {
		t.Error("Total(nil) != 0")
	}
}

func TestPeak(t *testing.T) {
	tests := []struct {
		name    string
		samples []int16
		lo, hi  float64
		want    float64
	}{
		{"440 Hz in 1 s", Sine(rate, rate, 440, 0.5), 20, 20000, 440},
		{"440 Hz under noise", mix(Sine(rate, rate, 440, 0.3), noise(rate, 0.3, 2)), 20, 20000, 440},
		{"1234.5 Hz in 0.3 s", Sine(rate*3/10, rate, 1234.5, 0.5), 20, 20000, 1234.5},
		{"two tones, band picks the upper", mix(Sine(rate, rate, 440, 0.4), Sine(rate, rate, 3000, 0.2)), 1000, 5000, 3000},
		{"two tones, whole band picks the louder", mix(Sine(rate, rate, 440, 0.4), Sine(rate, rate, 3000, 0.2)), 20, 20000, 440},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p := Peak(tt.samples, rate, tt.lo, tt.hi)
			if math.Abs(f-tt.want) > 0.5 {
				t.Errorf("Peak = %v Hz, want %v ± 0.5", f, tt.want)
			}
			if p <= 0 {
				t.Errorf("Peak power = %v, want > 0", p)
			}
		})
	}
	if f, p := Peak(nil, rate, 20, 20000); f != 0 || p != 0 {
		t.Errorf("Peak(nil) = %v, %v; want 0, 0", f, p)
	}
	if f, _ := Peak(Sine(100, rate, 440, 1), rate, 500, 400); f != 0 {
		t.Errorf("Peak with an empty band = %v, want 0", f)
	}
}

// burstTrack is silence (or a background) with bursts of freq at the
// given instants.
func burstTrack(n int, freq float64, at []time.Duration, dur time.Duration, bg []int16) []int16 {
	out := make([]int16, n)
	copy(out, bg)
	burst := Sine(int(dur.Seconds()*rate), rate, freq, 0.5)
	for _, a := range at {
		start := int(a.Seconds() * rate)
		for i, s := range burst {
			if start+i < n {
				out[start+i] += s
			}
		}
	}
	return out
}

func TestOnsets(t *testing.T) {
	at := []time.Duration{250 * time.Millisecond, 1100*time.Millisecond + 333*time.Microsecond, 2 * time.Second, 2900 * time.Millisecond}
	tests := []struct {
		name    string
		samples []int16
		freq    float64
		want    []time.Duration
	}{
		{"1 kHz bursts on silence", burstTrack(3*rate, 1000, at, 50*time.Millisecond, nil), 1000, at},
		{"1 kHz bursts over a 440 Hz sine and noise", burstTrack(3*rate, 1000, at, 80*time.Millisecond,
			mix(Sine(3*rate, rate, 440, 0.3), noise(3*rate, 0.05, 3))), 1000, at},
		{"bursts of another frequency are not onsets", burstTrack(3*rate, 3000, at, 50*time.Millisecond, nil), 1000, nil},
		{"silence", make([]int16, rate), 1000, nil},
		{"shorter than the window", make([]int16, 10), 1000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Onsets(tt.samples, rate, tt.freq, 0.1)
			if len(got) != len(tt.want) {
				t.Fatalf("Onsets = %v, want %v", got, tt.want)
			}
			for i := range got {
				if d := got[i] - tt.want[i]; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("onset %d at %v, want %v ± 1ms", i, got[i], tt.want[i])
				}
			}
		})
	}
	if got := Onsets(make([]int16, rate), 0, 1000, 0.1); got != nil {
		t.Errorf("Onsets with rate 0 = %v, want nil", got)
	}
}

func BenchmarkOnsets60s(b *testing.B) {
	s := burstTrack(60*rate, 1000, []time.Duration{time.Second, 30 * time.Second}, 50*time.Millisecond, nil)
	for b.Loop() {
		Onsets(s, rate, 1000, 0.1)
	}
}
