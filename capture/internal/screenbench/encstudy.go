package main

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// The encoder study (-enc, issue 17 point 3): each desktop is grabbed
// once for the recording's length, as the recorder grabs it (changed
// frames only, a keyframe every 10 s), into memory; then every encoder
// setting encodes the very same frames, its CPU measured on its own
// thread, its bytes counted, and each frame's luma PSNR taken against
// the grabbed frame (the last decoded picture held over frames not coded).

// grabbed is one grabbed frame and what changed in it.
type grabbed struct {
	f       *capture.Frame
	changed bool
	rects   []image.Rectangle
}

// encSetting is one encoder setting studied.
type encSetting struct {
	name   string
	opts   vpx.Options
	active bool // an active map from the changed rectangles
}

func encSettings() []encSetting {
	return []encSetting{
		{name: "VP8 (the default)"},
		{name: "VP8 active map from damage", active: true},
		{name: "VP8 static threshold off", opts: vpx.Options{StaticThreshold: -1}},
		{name: "VP8 static threshold 100000", opts: vpx.Options{StaticThreshold: 100000}},
		{name: "VP8 cpu-used 8", opts: vpx.Options{Speed: 8}},
		{name: "VP8 cpu-used 12", opts: vpx.Options{Speed: 12}},
		{name: "VP8 CBR", opts: vpx.Options{CBR: true}},
		{name: "VP8 frame dropping 30%", opts: vpx.Options{DropFrame: 30}},
		{name: "VP9 screen content, speed 9", opts: vpx.Options{Codec: vpx.VP9}},
	}
}

// studyEncoders grabs each desk and prints the table.
func (b *bench) studyEncoders(ctx context.Context, desks []string) error {
	fmt.Printf("encoder study: %dx%d at %d fps, %v of each desktop grabbed once, every setting on the same frames\n", b.w, b.h, b.fps, b.dur)
	fmt.Printf("%-6s %-30s %9s %9s %8s %10s %10s\n", "desk", "setting", "ms/frame", "CPU s/min", "MB/min", "PSNR mean", "PSNR low")
	for _, desk := range desks {
		d, err := b.startDesk(ctx, desk, nil)
		if err != nil {
			return err
		}
		frames, err := grabFrames(d.Name(), b.fps, b.dur)
		d.Close()
		if err != nil {
			return err
		}
		for _, st := range encSettings() {
			r, err := encodeFrames(frames, st, b.fps)
			if err != nil {
				return fmt.Errorf("%s on %s: %w", st.name, desk, err)
			}
			fmt.Printf("%-6s %-30s %9.2f %9.2f %8.2f %10.2f %10.2f\n", desk, st.name, r.msPerFrame,
				perMin(r.cpu, b.dur), float64(r.bytes)/1e6*float64(time.Minute)/float64(b.dur), r.q.mean(), r.q.low)
		}
	}
	return nil
}

// grabFrames grabs display at fps for dur as the recorder does.
func grabFrames(display string, fps int, dur time.Duration) ([]grabbed, error) {
	src, err := x11.Open(display, x11.Options{FPS: fps})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	w, h := src.Size()
	cur := capture.NewFrame(w, h)
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	var out []grabbed
	for i := range int(dur.Seconds() * float64(fps)) {
		<-tick.C
		changed, err := src.Grab(cur)
		if err != nil {
			return nil, err
		}
		f := capture.NewFrame(w, h)
		copy(f.Y, cur.Y)
		copy(f.U, cur.U)
		copy(f.V, cur.V)
		out = append(out, grabbed{f: f, changed: changed || i == 0, rects: src.Changed(nil)})
	}
	return out, nil
}

// encResult is one setting's figures.
type encResult struct {
	cpu        time.Duration
	bytes      int
	msPerFrame float64
	q          quality
}

// encodeFrames encodes the grabbed frames with st, as the recorder would.
func encodeFrames(frames []grabbed, st encSetting, fps int) (encResult, error) {
	var r encResult
	w, h := frames[0].f.Width, frames[0].f.Height
	o := st.opts
	o.Width, o.Height, o.FPS = w, h, fps
	enc, err := vpx.NewEncoder(o)
	if err != nil {
		return r, err
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder(o.Codec)
	if err != nil {
		return r, err
	}
	defer dec.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	iv := time.Second / time.Duration(fps)
	lastKey := -vpx.KeyInterval
	var held []byte
	var coded int
	amap := make([]byte, ((h+15)/16)*((w+15)/16))
	for i, g := range frames {
		pts := time.Duration(i) * iv
		key := pts-lastKey >= vpx.KeyInterval
		if g.changed || key {
			t0 := threadCPU()
			if st.active && !key {
				clear(amap)
				for _, rc := range g.rects {
					for y := rc.Min.Y / 16; y < (rc.Max.Y+15)/16; y++ {
						for x := rc.Min.X / 16; x < (rc.Max.X+15)/16; x++ {
							amap[y*((w+15)/16)+x] = 1
						}
					}
				}
				if err := enc.SetActive(amap); err != nil {
					return r, err
				}
			}
			pkts, err := enc.Encode(g.f, pts, key)
			r.cpu += threadCPU() - t0
			if err != nil {
				return r, err
			}
			coded++
			for _, p := range pkts {
				if p.Key {
					lastKey = p.PTS
				}
				r.bytes += len(p.Data)
				got, err := dec.Decode(p.Data)
				if err != nil {
					return r, err
				}
				held = append(held[:0], got.Y...)
			}
		}
		if held != nil {
			r.q.add(lumaPSNR(g.f.Y, held))
		}
	}
	if coded > 0 {
		r.msPerFrame = float64(r.cpu) / float64(time.Millisecond) / float64(coded)
	}
	return r, nil
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
