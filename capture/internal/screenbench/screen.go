package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// recordScreen is our screen path alone: grab at fps, encode changed
// frames only, write IVF. With psnr it decodes each packet and prints the
// mean and lowest luma PSNR against the frame grabbed.
func recordScreen(display, out string, fps int, dur time.Duration, psnr bool) error {
	src, err := x11.Open(display, x11.Options{FPS: fps})
	if err != nil {
		return err
	}
	defer src.Close()
	w, h := src.Size()
	enc, err := vpx.NewEncoder(vpx.Options{Width: w, Height: h, FPS: fps})
	if err != nil {
		return err
	}
	defer enc.Close()
	var dec *vpx.Decoder
	if psnr {
		if dec, err = vpx.NewDecoder(vpx.VP8); err != nil {
			return err
		}
		defer dec.Close()
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := ivfHeader(f, w, h); err != nil {
		return err
	}
	frame := capture.NewFrame(w, h)
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	var q quality
	n := int(dur.Seconds() * float64(fps))
	for i := 0; i < n; i++ {
		<-tick.C
		changed, err := src.Grab(frame)
		if err != nil {
			return err
		}
		if !changed && i > 0 {
			continue
		}
		pkts, err := enc.Encode(frame, time.Duration(i)*time.Second/time.Duration(fps), false)
		if err != nil {
			return err
		}
		for _, p := range pkts {
			if err := ivfFrame(f, p); err != nil {
				return err
			}
			if dec != nil {
				got, err := dec.Decode(p.Data)
				if err != nil {
					return err
				}
				q.add(lumaPSNR(frame.Y, got.Y))
			}
		}
	}
	if psnr {
		fmt.Printf("agentdesk-screen: %d frames encoded, luma PSNR mean %.1f dB, lowest %.1f dB\n", q.n, q.mean(), q.low)
	}
	return f.Close()
}

// quality sums PSNR figures.
type quality struct {
	n        int
	sum, low float64
}

func (q *quality) add(p float64) {
	if q.n == 0 || p < q.low {
		q.low = p
	}
	q.n++
	q.sum += p
}

func (q *quality) mean() float64 {
	if q.n == 0 {
		return 0
	}
	return q.sum / float64(q.n)
}

// lumaPSNR compares two planes of equal length (99 dB when identical).
func lumaPSNR(a, b []byte) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/(se/float64(len(a))))
}

func ivfHeader(w io.Writer, width, height int) error {
	var h [32]byte
	copy(h[:], "DKIF")
	binary.LittleEndian.PutUint16(h[6:], 32)
	copy(h[8:], "VP80")
	binary.LittleEndian.PutUint16(h[12:], uint16(width))
	binary.LittleEndian.PutUint16(h[14:], uint16(height))
	binary.LittleEndian.PutUint32(h[16:], 1000) // timebase 1/1000
	binary.LittleEndian.PutUint32(h[20:], 1)
	_, err := w.Write(h[:])
	return err
}

func ivfFrame(w io.Writer, p capture.Packet) error {
	var h [12]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(p.Data)))
	binary.LittleEndian.PutUint64(h[4:], uint64(p.PTS.Milliseconds()))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(p.Data)
	return err
}
