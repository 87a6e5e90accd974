// Command screenbench measures agentdesk's recording beside ffmpeg, as
// issue 5 asks: on a private 1280x720 Xvfb desktop, busy (a terminal
// scrolling text) and quiet (a chat line every few seconds), with the
// microphone from a private PulseAudio whose default source is a 440 Hz
// sine (capture/internal/pulse).
//
//	go run ./capture/internal/screenbench -d 60s
//
// The recorders:
//
//   - agentdesk: the real path, the capture-agent binary (built first
//     unless -agent names one): `capture-agent record` (x11 screen +
//     PortAudio mic through PulseAudio's ALSA device "pulse", VP8 + Opus
//     into the crash-safe spool), then `capture-agent recover` (the WebM
//     combine), reported on its own row.
//   - ffmpeg-vp8, ffmpeg-x264-ultrafast, ffmpeg-x264-veryfast: ffmpeg -f
//     x11grab plus -f pulse (the same PulseAudio) with libvpx (realtime,
//     cpu-used 8, 600k) or libx264 (ultrafast or veryfast, -tune
//     stillimage), and libopus 24k mono in each.
//   - agentdesk-screen (not in the default list): our screen path alone
//     (x11 + VP8 into IVF) in a child of this command, with -psnr the
//     luma PSNR of each decoded frame against what was grabbed.
//   - agentdesk-voice (not in the default list): capture-agent record
//     --no-screen, the voice path alone (PortAudio + Opus + spool).
//   - agentdesk-polling (not in the default list): the agentdesk case on a
//     desktop of its own, the same activity, whose X server lacks the
//     Damage extension: the polling fallback.
//
// Every recorder draws the cursor (ffmpeg -draw_mouse 1, ours XFixes).
// With -enc it runs the encoder study instead: each desktop grabbed once,
// every VP8/VP9 setting on the same frames (encstudy.go).
//
// For each it prints CPU seconds per recorded minute (the recorder plus
// the X server's CPU over the same time; the X server's share and
// PulseAudio's are shown apart, PulseAudio's not in the total), the
// recorder's peak RSS and MB per recorded minute of its output file.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture/internal/pulse"
	"github.com/agentdesk/agentdesk/capture/internal/xvfb"
)

// defaultCases is what a plain run measures.
const defaultCases = "agentdesk,ffmpeg-vp8,ffmpeg-x264-ultrafast,ffmpeg-x264-veryfast"

// bench is one benchmark run's settings.
type bench struct {
	w, h, fps int
	dur       time.Duration
	agent     string // the capture-agent binary
	self      string // this program, for the agentdesk-screen child
	psnr      bool
	tmp       string
	pulse     *pulse.Server
	pulsePid  int
}

func main() {
	dur := flag.Duration("d", 60*time.Second, "length of each recording")
	fps := flag.Int("fps", 5, "frames per second")
	w := flag.Int("w", 1280, "screen width")
	h := flag.Int("h", 720, "screen height")
	deskList := flag.String("desks", deskBusy+","+deskQuiet, "activities: busy, quiet")
	caseList := flag.String("cases", defaultCases, "recorders (also: "+caseScreen+", "+caseVoice+", "+casePolling+")")
	agent := flag.String("agent", "", "the capture-agent binary (default: go build ./cmd/capture-agent)")
	psnr := flag.Bool("psnr", false, "agentdesk-screen: decode each frame and report its luma PSNR")
	enc := flag.Bool("enc", false, "the encoder study: every VP8/VP9 setting on the same grabbed frames of each desk")
	child := flag.Bool("child", false, "internal: record the display's screen with our encoder")
	display := flag.String("display", "", "internal: the display to record")
	out := flag.String("o", "", "internal: output file")
	flag.Parse()
	if *child {
		if err := recordScreen(*display, *out, *fps, *dur, *psnr); err != nil {
			log.Fatal(err)
		}
		return
	}
	b := &bench{w: *w, h: *h, fps: *fps, dur: *dur, agent: *agent, psnr: *psnr}
	if *enc {
		if err := b.studyEncoders(context.Background(), split(*deskList)); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := b.run(context.Background(), split(*deskList), split(*caseList)); err != nil {
		log.Fatal(err)
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// run measures each recorder on each desk and prints the table.
func (b *bench) run(ctx context.Context, desks, cases []string) (err error) {
	for _, d := range desks {
		if _, ok := deskScript(d); !ok {
			return fmt.Errorf("no desk %q (busy, quiet)", d)
		}
	}
	for _, c := range cases {
		if _, _, ok := peerArgs(c); !ok && c != caseAgentdesk && c != caseScreen && c != caseVoice && c != casePolling {
			return fmt.Errorf("no recorder %q", c)
		}
	}
	if b.tmp, err = os.MkdirTemp("", "screenbench"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	if b.agent == "" {
		b.agent = filepath.Join(b.tmp, "capture-agent")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.agent, "github.com/agentdesk/agentdesk/cmd/capture-agent")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build capture-agent (run from the module, or give -agent): %v: %s", err, out)
		}
	}
	if b.pulse, err = pulse.Launch(ctx, pulse.Config{Dir: filepath.Join(b.tmp, "p")}); err != nil {
		return err
	}
	defer b.pulse.Close()
	if b.pulsePid, err = findPid("pulseaudio", b.pulse.Dir()); err != nil {
		return err
	}
	fmt.Printf("%dx%d at %d fps with the microphone, %v per recording; per recorded minute\n", b.w, b.h, b.fps, b.dur)
	fmt.Printf("%-6s %-22s %8s %8s %8s %8s %8s\n", "desk", "recorder", "CPU s", "of it X", "Pulse s", "peak MB", "MB")
	for _, desk := range desks {
		if err := b.desk(ctx, desk, cases); err != nil {
			return err
		}
	}
	fmt.Println("CPU s: the recorder and the X server; Pulse s: the PulseAudio daemon, apart (its sine source included).")
	fmt.Println("agentdesk: the spool while recording; its combine row: the WebM written from the spool afterwards.")
	return nil
}

// desk starts the desktop and its activity and measures each recorder.
// The polling case gets a desktop of its own, the same but without the X
// Damage extension.
func (b *bench) desk(ctx context.Context, desk string, cases []string) error {
	var d, nodmg *xvfb.Display
	var err error
	defer func() {
		for _, x := range []*xvfb.Display{d, nodmg} {
			if x != nil {
				x.Close()
			}
		}
	}()
	for _, c := range cases {
		x := &d
		var args []string
		if c == casePolling {
			x, args = &nodmg, []string{"-extension", "DAMAGE"}
		}
		if *x == nil {
			if *x, err = b.startDesk(ctx, desk, args); err != nil {
				return err
			}
		}
		if err := b.one(ctx, *x, desk, c); err != nil {
			return fmt.Errorf("%s on %s: %w", c, desk, err)
		}
	}
	return nil
}

// startDesk starts a desktop (the server given args) with the activity.
func (b *bench) startDesk(ctx context.Context, desk string, args []string) (*xvfb.Display, error) {
	script, _ := deskScript(desk)
	d, err := xvfb.Launch(ctx, xvfb.Config{Width: b.w, Height: b.h, Args: args})
	if err != nil {
		return nil, err
	}
	if err := d.StartXterm(script); err != nil {
		d.Close()
		return nil, err
	}
	time.Sleep(2 * time.Second) // the xterm maps and starts: setup, no assertion
	return d, nil
}

// one measures recorder c on display d and prints its rows.
func (b *bench) one(ctx context.Context, d *xvfb.Display, desk, c string) error {
	dir := filepath.Join(b.tmp, desk+"-"+c)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := append(os.Environ(), b.pulse.Env()...)
	secs := b.dur.Seconds()
	row := func(name string, r result) {
		fmt.Printf("%-6s %-22s %8.2f %8.2f %8.2f %8.1f %8.2f\n", desk, name,
			perMin(r.cpu+r.xcpu, b.dur), perMin(r.xcpu, b.dur), perMin(r.pcpu, b.dur),
			float64(r.peakKB)/1024, float64(r.bytes)/1e6*float64(time.Minute)/float64(b.dur))
	}
	switch c {
	case caseAgentdesk, casePolling:
		rec, comb, spool, webm := agentArgs(dir, d.Name(), b.fps, secs)
		cmd := exec.CommandContext(ctx, b.agent, rec...)
		cmd.Env = env
		r, err := measure(cmd, d.Pid(), b.pulsePid, spool)
		if err != nil {
			return err
		}
		row(c, r)
		cmd = exec.CommandContext(ctx, b.agent, comb...)
		r, err = measure(cmd, 0, 0, webm)
		if err != nil {
			return err
		}
		row(c+" combine", r)
		fmt.Printf("%-6s %-22s took %.2f s for the %v recording\n", desk, c+" combine", r.wall.Seconds(), b.dur)
		return nil
	case caseVoice:
		rec, _, spool, _ := agentArgs(dir, d.Name(), b.fps, secs)
		cmd := exec.CommandContext(ctx, b.agent, append(rec, "--no-screen")...)
		cmd.Env = env
		r, err := measure(cmd, d.Pid(), b.pulsePid, spool)
		if err != nil {
			return err
		}
		row(c, r)
		return nil
	case caseScreen:
		file := filepath.Join(dir, "screen.ivf")
		args := []string{"-child", "-display", d.Name(), "-o", file, "-fps", fmt.Sprint(b.fps), "-d", b.dur.String()}
		if b.psnr {
			args = append(args, "-psnr")
		}
		cmd := exec.CommandContext(ctx, b.self, args...)
		cmd.Stdout = os.Stdout
		r, err := measure(cmd, d.Pid(), 0, file)
		if err != nil {
			return err
		}
		row(c, r)
		return nil
	}
	peer, ext, _ := peerArgs(c)
	file := filepath.Join(dir, "out"+ext)
	cmd := exec.CommandContext(ctx, "ffmpeg", ffmpegArgs(peer, d.Name(), b.w, b.h, b.fps, secs, file)...)
	cmd.Env = env
	r, err := measure(cmd, d.Pid(), b.pulsePid, file)
	if err != nil {
		return err
	}
	row(c, r)
	return nil
}
