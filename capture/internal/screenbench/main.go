// Command screenbench measures screen recording beside ffmpeg on a private
// Xvfb desktop: a busy one (a terminal scrolling text) and a quiet one (a
// chat line every few seconds). For each recorder it reports CPU seconds
// per recorded minute (the X server included), peak memory and MB per
// minute. Ours is capture/x11 and capture/vpx with unchanged frames
// skipped; the peers are ffmpeg -f x11grab with libvpx and libx264.
//
//	go run ./capture/internal/screenbench -d 60s
//
// The screen only: the microphone and the container are the recorder's.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
	"github.com/agentdesk/agentdesk/capture/vpx"
	"github.com/agentdesk/agentdesk/capture/x11"
)

// deskScript is the shell script of a scripted activity.
func deskScript(name string) (string, bool) {
	switch name {
	case "busy":
		return `i=0; while :; do i=$((i+1)); echo "line $i: the quick brown fox jumps over the lazy dog $(date +%T.%N)"; sleep 0.05; done`, true
	case "quiet":
		return `while :; do sleep 3; echo "customer: hello, I have a question about my order $(date +%T)"; done`, true
	}
	return "", false
}

// peerArgs are the ffmpeg encoder arguments of a peer, the last one the
// output file's name (its extension matters).
func peerArgs(name string) ([]string, bool) {
	switch name {
	case "ffmpeg-vp8":
		return []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "out.webm"}, true
	case "ffmpeg-vp9":
		return []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k", "out.webm"}, true
	case "ffmpeg-x264-ultrafast":
		return []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p", "out.mkv"}, true
	case "ffmpeg-x264-veryfast":
		return []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p", "out.mkv"}, true
	}
	return nil, false
}

func main() {
	dur := flag.Duration("d", 60*time.Second, "length of each recording")
	fps := flag.Int("fps", 5, "frames per second")
	w := flag.Int("w", 1280, "screen width")
	h := flag.Int("h", 720, "screen height")
	deskList := flag.String("desks", "busy,quiet", "activities: busy, quiet")
	caseList := flag.String("cases", "agentdesk,ffmpeg-vp8,ffmpeg-vp9,ffmpeg-x264-ultrafast,ffmpeg-x264-veryfast", "recorders")
	child := flag.Bool("child", false, "internal: record the display with our encoder")
	display := flag.String("display", "", "internal: the display to record")
	out := flag.String("o", "", "internal: output file")
	flag.Parse()
	if *child {
		if err := record(*display, *out, *fps, *dur); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*w, *h, *fps, *dur, strings.Split(*deskList, ","), strings.Split(*caseList, ",")); err != nil {
		log.Fatal(err)
	}
}

// result is one recorder's figures.
type result struct {
	cpu, xcpu time.Duration // recorder, X server
	peakKB    int64
	bytes     int64
	frames    int
}

func run(w, h, fps int, dur time.Duration, deskNames, cases []string) error {
	tmp, err := os.MkdirTemp("", "screenbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("%dx%d at %d fps, %v per recording; CPU s and MB per recorded minute\n", w, h, fps, dur)
	fmt.Printf("%-6s %-22s %8s %8s %8s %8s\n", "desk", "recorder", "CPU s", "of it X", "peak MB", "MB")
	for _, desk := range deskNames {
		script, ok := deskScript(desk)
		if !ok {
			return fmt.Errorf("no desk %q", desk)
		}
		d, err := xvfb.Launch(context.Background(), xvfb.Config{Width: w, Height: h})
		if err != nil {
			return err
		}
		if err := d.StartXterm(script); err != nil {
			d.Close()
			return err
		}
		time.Sleep(2 * time.Second) // the xterm maps and starts
		for _, c := range cases {
			file := filepath.Join(tmp, desk+"-"+c)
			var cmd *exec.Cmd
			if c == "agentdesk" {
				cmd = exec.Command(self, "-child", "-display", d.Name(), "-o", file, "-fps", strconv.Itoa(fps), "-d", dur.String())
			} else if args, ok := peerArgs(c); ok {
				file += filepath.Ext(args[len(args)-1])
				base := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0",
					"-framerate", strconv.Itoa(fps), "-video_size", fmt.Sprintf("%dx%d", w, h), "-i", d.Name(),
					"-t", fmt.Sprintf("%.3f", dur.Seconds())}
				cmd = exec.Command("ffmpeg", append(append(base, args[:len(args)-1]...), file)...)
			} else {
				d.Close()
				return fmt.Errorf("no recorder %q", c)
			}
			r, err := measure(cmd, d.Pid(), file)
			if err != nil {
				d.Close()
				return fmt.Errorf("%s on %s: %w", c, desk, err)
			}
			perMin := float64(time.Minute) / float64(dur)
			fmt.Printf("%-6s %-22s %8.2f %8.2f %8.1f %8.2f\n", desk, c,
				r.cpu.Seconds()*perMin+r.xcpu.Seconds()*perMin, r.xcpu.Seconds()*perMin,
				float64(r.peakKB)/1024, float64(r.bytes)/1e6*perMin)
		}
		d.Close()
	}
	return nil
}

// measure runs cmd and reads its CPU and peak memory, the X server's CPU
// over the same time and the output's size.
func measure(cmd *exec.Cmd, xpid int, file string) (result, error) {
	var r result
	x0, err := procCPU(xpid)
	if err != nil {
		return r, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("%v: %s", err, stderr.String())
	}
	x1, err := procCPU(xpid)
	if err != nil {
		return r, err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.xcpu = x1 - x0
	r.peakKB = ru.Maxrss
	st, err := os.Stat(file)
	if err != nil {
		return r, err
	}
	r.bytes = st.Size()
	return r, nil
}

// procCPU is a process's user+system CPU time from /proc.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// record is our recorder: grab at fps, encode changed frames only, write
// IVF.
func record(display, out string, fps int, dur time.Duration) error {
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
		}
	}
	return f.Close()
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
