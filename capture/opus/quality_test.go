package opus

import (
	"github.com/agentdesk/agentdesk/capture/tone"
	"math"
	"math/rand/v2"
	"testing"
)

// voice is a known speech-like signal: a glottal pulse train whose pitch
// glides (100 to 220 Hz) through three formant resonators that move from
// vowel to vowel, syllables of about 200 ms, and a fricative (filtered
// noise) every fourth syllable, with short pauses between words.
func voice(n int) []int16 {
	r := rand.New(rand.NewPCG(17, 2))
	vowels := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}, {570, 840, 2410}}
	out := make([]int16, n)
	var res [3]struct{ y1, y2 float64 }
	phase, hp := 0.0, 0.0
	const syl = 0.2 // seconds a syllable
	for i := range out {
		t := float64(i) / SampleRate
		k := int(t / syl)
		in := t/syl - float64(k)
		env := math.Sin(math.Pi * in)
		if k%5 == 4 {
			env = 0 // a pause between words
		}
		var x float64
		if k%4 == 3 { // fricative
			nz := 2*r.Float64() - 1
			x = 0.6 * (nz - hp)
			hp = nz
		} else {
			f0 := 100 + 60*(1+math.Sin(2*math.Pi*0.7*t))
			phase += f0 / SampleRate
			if phase >= 1 {
				phase--
				x = 1 // a glottal pulse
			}
			x += 0.01 * (2*r.Float64() - 1) // breath
		}
		v := vowels[k%len(vowels)]
		y := 0.0
		for j, f := range v {
			bw := 80.0 + 40*float64(j)
			rr := math.Exp(-math.Pi * bw / SampleRate)
			c := 2 * rr * math.Cos(2*math.Pi*f/SampleRate)
			o := x + c*res[j].y1 - rr*rr*res[j].y2
			res[j].y2, res[j].y1 = res[j].y1, o
			y += o / float64(j+1)
		}
		out[i] = int16(max(min(6000*env*y, 32767), -32768))
	}
	return out
}

// segSNR is the segmental SNR of got against want in dB: the mean over
// the 20 ms frames that carry speech of each frame's SNR, each clamped to
// [-10, 35] dB (ITU-T P.Sup23's way of keeping a silent or perfect frame
// from swamping the mean).
func segSNR(want, got []int16) float64 {
	var sum float64
	var n int
	for i := 0; i+FrameSamples <= min(len(want), len(got)); i += FrameSamples {
		var s, e float64
		for j := i; j < i+FrameSamples; j++ {
			d := float64(want[j]) - float64(got[j])
			s += float64(want[j]) * float64(want[j])
			e += d * d
		}
		if s < FrameSamples*100*100 { // below -50 dBFS: no speech
			continue
		}
		snr := 35.0
		if e > 0 {
			snr = max(min(10*math.Log10(s/e), 35), -10)
		}
		sum += snr
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// quality is what the codec keeps of the known voice: its segmental SNR
// and log-spectral distance after encoding and decoding.
type quality struct{ snr, lsd float64 }

func measure(t *testing.T, o Options) quality {
	t.Helper()
	pcm := voice(10 * SampleRate)
	out, _ := roundTrip(t, newEncoder(t, o), pcm)
	return quality{segSNR(pcm, out), lsd(pcm, out)}
}

// Issue 17: Opus's complexity is a setting whose default was chosen by a
// measure, not by ear: the default keeps the known voice as well as the
// most expensive setting does (segmental SNR and log-spectral distance
// within half a dB), and the measure is able to tell a worse coding (6
// kbit/s) from ours.
func TestVoiceQualityAtTheDefaultComplexity(t *testing.T) {
	best := measure(t, Options{Complexity: 10})
	def := measure(t, Options{})
	low := measure(t, Options{Bitrate: 6000})
	t.Logf("complexity 10: segSNR %.2f dB, LSD %.2f dB", best.snr, best.lsd)
	t.Logf("default (%d): segSNR %.2f dB, LSD %.2f dB", DefaultComplexity, def.snr, def.lsd)
	t.Logf("6 kbit/s: segSNR %.2f dB, LSD %.2f dB", low.snr, low.lsd)
	if def.snr < best.snr-0.5 || def.lsd > best.lsd+0.5 {
		t.Errorf("the default complexity loses more than 0.5 dB against complexity 10")
	}
	if def.snr < 5 || def.lsd > 7 {
		t.Errorf("the default keeps too little of the voice (segSNR >= 5 dB, LSD <= 7 dB wanted)")
	}
	if low.snr > def.snr-1 && low.lsd < def.lsd+1 {
		t.Errorf("the measure does not see 6 kbit/s as worse than 24 kbit/s")
	}
}

// lsd is the mean log-spectral distance in dB between want and got over
// 1024-sample frames that carry speech, 50 Hz to 8 kHz (the wideband
// speech band): how far apart the two sound, whatever their phase.
func lsd(want, got []int16) float64 {
	const n = 1024
	var sum float64
	var frames int
	for i := 0; i+n <= min(len(want), len(got)); i += n {
		pw, pg := tone.Spectrum(want[i:i+n]), tone.Spectrum(got[i:i+n])
		var energy float64
		for _, p := range pw {
			energy += p
		}
		if energy < 1e-3 { // a pause
			continue
		}
		lo, hi := 50*n/SampleRate+1, 8000*n/SampleRate
		var d float64
		for k := lo; k < hi; k++ {
			x := 10*math.Log10(pw[k]+1e-9) - 10*math.Log10(pg[k]+1e-9)
			d += x * x
		}
		sum += math.Sqrt(d / float64(hi-lo))
		frames++
	}
	if frames == 0 {
		return 0
	}
	return sum / float64(frames)
}
