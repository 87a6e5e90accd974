// Package tone measures tones in 16-bit PCM: the power at one frequency
// (Goertzel), the dominant frequency in a band, and the instants where a
// tone burst begins. Pure Go, no devices: the audio tests and the sync test
// use it to check what a microphone or a decoded recording holds.
//
// Powers are mean powers relative to full scale: a full-scale sine
// (amplitude 32767) has power 0.5, silence 0.
package tone

import (
	"math"
	"math/cmplx"
	"time"
)

// fullScale is the largest int16 magnitude, the unit of amplitude.
const fullScale = 32768.0

// Power returns the mean power of the component of samples at freq Hz
// (sampled at rate Hz), relative to full scale: a sine of amplitude a
// (0..1 of full scale) gives a*a/2. Exact when samples hold a whole number
// of cycles of freq; otherwise slightly low (spectral leakage). Empty input
// or a non-positive rate gives 0.
func Power(samples []int16, rate int, freq float64) float64 {
	if len(samples) == 0 || rate <= 0 {
		return 0
	}
	a := amplitude(samples, rate, freq)
	return a * a / 2
}

// Total returns the mean power of samples relative to full scale (the
// same unit as Power), so Power/Total is the fraction of the signal that
// is the tone: near 1 for a clean tone, near 0 for noise or another tone.
func Total(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		v := float64(s) / fullScale
		sum += v * v
	}
	return sum / float64(len(samples))
}

// amplitude is the Goertzel estimate of the amplitude (0..1) of the freq
// component.
func amplitude(samples []int16, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x)/fullScale + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	return 2 * math.Hypot(re, im) / float64(len(samples))
}

// Peak returns the frequency in [lo, hi] Hz with the most power in
// samples, and that power (as Power gives it). It finds the strongest bin
// of a Hann-windowed FFT, then refines around it with Goertzel to about
// 0.1 Hz. Empty input, a non-positive rate or an empty band gives 0, 0.
// The FFT takes memory in proportion to the input (16 bytes a sample,
// rounded up to a power of two): give it a second or a few, not a whole
// recording.
func Peak(samples []int16, rate int, lo, hi float64) (freq, power float64) {
	nyq := float64(rate) / 2
	lo, hi = math.Max(lo, 0), math.Min(hi, nyq)
	if len(samples) == 0 || rate <= 0 || lo > hi {
		return 0, 0
	}
	n := 1
	for n < len(samples) || float64(rate)/float64(n) > 1 {
		n <<= 1
	}
	buf := make([]complex128, n)
	m := len(samples)
	for i, s := range samples {
		win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(m))
		buf[i] = complex(float64(s)*win, 0)
	}
	fft(buf)
	binHz := float64(rate) / float64(n)
	best, bestMag := -1, -1.0
	for k := int(math.Ceil(lo / binHz)); k <= int(hi/binHz) && k <= n/2; k++ {
		if mag := cmplx.Abs(buf[k]); mag > bestMag {
			best, bestMag = k, mag
		}
	}
	if best < 0 {
		// The band is narrower than a bin: measure its middle.
		f := (lo + hi) / 2
		return f, Power(samples, rate, f)
	}
	// Refine: the FFT bin is the coarse answer, Goertzel the fine one.
	step := binHz / 20
	from := math.Max(lo, float64(best-1)*binHz)
	to := math.Min(hi, float64(best+1)*binHz)
	for f := from; f <= to; f += step {
		if p := Power(samples, rate, f); p > power {
			freq, power = f, p
		}
	}
	return freq, power
}

// fft is an in-place radix-2 Cooley-Tukey transform; len(a) is a power
// of two.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		wn := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= wn
			}
		}
	}
}

// Onsets returns the instants (from the first sample) where a burst of
// freq Hz begins: where its amplitude rises through threshold (0..1 of
// full scale, e.g. 0.1) after having been below half of it. The instant is
// placed where the burst's amplitude reaches half its plateau, which for
// a sharp onset is the onset itself to within a millisecond or so. The
// analysis window is about 10 ms (a whole number of cycles), so bursts
// should last at least that long and be that far apart.
func Onsets(samples []int16, rate int, freq, threshold float64) []time.Duration {
	if rate <= 0 || freq <= 0 || freq >= float64(rate)/2 || threshold <= 0 {
		return nil
	}
	w := window(rate, freq)
	if len(samples) < w {
		return nil
	}
	amps := slidingAmplitude(samples, rate, freq, w)
	// amps[j] is the amplitude of the window ending at sample j+w-1.
	var out []time.Duration
	armed := true
	for j := 0; j < len(amps); j++ {
		a := amps[j]
		if !armed {
			if a < threshold/2 {
				armed = true
			}
			continue
		}
		if a < threshold {
			continue
		}
		armed = false
		// The plateau: the largest amplitude over the next window.
		plateau := a
		for k := j; k < len(amps) && k <= j+w; k++ {
			plateau = math.Max(plateau, amps[k])
		}
		// Walk back to where the amplitude was below half the plateau.
		half := plateau / 2
		k := j
		for k > 0 && amps[k-1] >= half {
			k--
		}
		for k < len(amps) && amps[k] < half {
			k++
		}
		// Window ending at sample end holds the tone for about w/2
		// samples, so the burst began at end - w/2 + 1.
		end := k + w - 1
		onset := float64(end-w/2+1) / float64(rate)
		out = append(out, time.Duration(onset*float64(time.Second)))
		j = max(j, k)
	}
	return out
}

// window is the analysis window of Onsets: the whole number of cycles of
// freq closest to 10 ms, at least one cycle, in samples.
func window(rate int, freq float64) int {
	cycles := math.Max(1, math.Round(freq*0.01))
	return int(math.Round(cycles * float64(rate) / freq))
}

// slidingAmplitude returns, for every window of w samples, the amplitude
// (0..1) of the freq component, updated in O(1) per sample.
func slidingAmplitude(samples []int16, rate int, freq float64, w int) []float64 {
	omega := 2 * math.Pi * freq / float64(rate)
	amps := make([]float64, len(samples)-w+1)
	var re, im float64
	term := func(i int) (float64, float64) {
		v := float64(samples[i]) / fullScale
		s, c := math.Sincos(omega * float64(i))
		return v * c, v * s
	}
	for i := 0; i < w; i++ {
		c, s := term(i)
		re, im = re+c, im+s
	}
	amps[0] = 2 * math.Hypot(re, im) / float64(w)
	for j := 1; j < len(amps); j++ {
		c, s := term(j + w - 1)
		oc, os := term(j - 1)
		re, im = re+c-oc, im+s-os
		amps[j] = 2 * math.Hypot(re, im) / float64(w)
	}
	return amps
}

// Sine returns n samples of a sine of freq Hz at rate Hz with amplitude
// amp (0..1 of full scale), starting at phase 0.
func Sine(n, rate int, freq, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// Spectrum is the power spectrum of samples (their length a power of
// two) through a Hann window: len(samples)/2 bins of rate/len(samples) Hz.
func Spectrum(samples []int16) []float64 {
	n := len(samples)
	a := make([]complex128, n)
	for i, s := range samples {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		a[i] = complex(float64(s)/32768*w, 0)
	}
	fft(a)
	out := make([]float64, n/2)
	for i := range out {
		out[i] = real(a[i])*real(a[i]) + imag(a[i])*imag(a[i])
	}
	return out
}
