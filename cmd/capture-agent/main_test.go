package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
)

// fakeDevices have no screen and no mic (the fallback path) and encoders
// that keep the raw pixels' first bytes and the raw samples.
type fakeDevices struct {
	screenErr, micErr error
	frameBytes        int // size of each video packet (0: 16)
}

func (d fakeDevices) Screen(string, int) (capture.Screen, error) {
	return nil, errors.Join(d.screenErr, errors.New("no display"))
}
func (d fakeDevices) Mic(string) (capture.Mic, error) {
	return nil, errors.Join(d.micErr, errors.New("no microphone"))
}
func (d fakeDevices) VideoEncoder(w, h, fps int) (capture.VideoEncoder, string, error) {
	return rawVideo{n: max(d.frameBytes, 16)}, "V_VP8", nil
}
func (fakeDevices) AudioEncoder(rate int) (capture.AudioEncoder, string, int, error) {
	return rawAudio{}, "A_OPUS", 312, nil
}

type rawVideo struct{ n int }

func (v rawVideo) Encode(f *capture.Frame, pts time.Duration, key bool) ([]capture.Packet, error) {
	return []capture.Packet{{PTS: pts, Key: key, Data: f.Y[:min(v.n, len(f.Y))]}}, nil
}
func (rawVideo) Close() error { return nil }

type rawAudio struct{}

func (rawAudio) FrameSamples() int { return 960 }
func (rawAudio) Encode(pcm []int16, pts time.Duration) (capture.Packet, error) {
	b := make([]byte, 0, 2*len(pcm))
	for _, s := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return capture.Packet{PTS: pts, Data: b}, nil
}
func (rawAudio) Close() error { return nil }

func run(t *testing.T, m *Main, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = m.Run(t.Context(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsage(t *testing.T) {
	m := &Main{Devices: fakeDevices{}}
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout or stderr
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"--help"}, exitOK, "capture-agent record"},
		{[]string{"--help"}, exitOK, "capture-agent --version"}, // issue 11 point 16
		{[]string{"--version"}, exitOK, "capture-agent " + Version},
		{[]string{"version"}, exitOK, "capture-agent " + Version},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"record", "--help"}, exitOK, "--seconds"},
		{[]string{"record"}, exitUsage, "--out is required"},
		{[]string{"record", "--out", "x", "--fps", "0"}, exitUsage, "want 1..30"},
		{[]string{"record", "--out", "x", "--no-screen", "--no-mic"}, exitUsage, "nothing to record"},
		{[]string{"record", "--out", "x", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"record", "--out", "x", "--tag", "novalue"}, exitUsage, "key=value"},
		{[]string{"record", "--out", "x", "stray"}, exitUsage, `unexpected argument "stray"`},
		{[]string{"recover", "--help"}, exitOK, "--webm"},
		{[]string{"recover", "--webm", "o.webm"}, exitUsage, "which spool?"},
		{[]string{"recover", "f.spool"}, exitUsage, "--webm is required"},
		{[]string{"recover", "a.spool", "b.spool", "--webm", "o"}, exitUsage, `unexpected argument "b.spool"`},
		{[]string{"recover", filepath.Join(t.TempDir(), "missing.spool"), "--webm", "o.webm"}, exitFailure, "no such file"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, m, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}

// Without devices the agent records synthetic sources, loudly; the spool
// recovers and becomes a WebM.
func TestRecordFallbackAndRecover(t *testing.T) {
	dir := t.TempDir()
	sp, wm := filepath.Join(dir, "r.spool"), filepath.Join(dir, "r.webm")
	m := &Main{Devices: fakeDevices{}}
	code, out, errOut := run(t, m, "record", "--out", sp, "--seconds", "1", "--fps", "10", "--tag", "agent=alice", "--min-free", "1")
	if code != exitOK || !strings.Contains(out, "recorded "+sp) {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, w := range []string{"WARNING: screen", "SYNTHETIC SCREEN", "WARNING: microphone", "SYNTHETIC MICROPHONE"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	r, err := spool.Recover(sp)
	if err != nil {
		t.Fatal(err)
	}
	if r.Video < 5 || r.Audio < 25 || r.Header.Tags["agent"] != "alice" || r.Header.Width != 640 {
		t.Fatalf("spool: %d video %d audio, header %+v", r.Video, r.Audio, r.Header)
	}
	r.Close()
	code, out, errOut = run(t, m, "recover", sp, "--webm", wm)
	if code != exitOK || !strings.Contains(out, "wrote "+wm) {
		t.Fatalf("recover: exit %d\n%s\n%s", code, out, errOut)
	}
	if st, err := os.Stat(wm); err != nil || st.Size() == 0 {
		t.Fatalf("webm: %v", err)
	}
	// A second record onto the same spool is refused.
	if code, _, errOut := run(t, m, "record", "--out", sp, "--seconds", "1"); code != exitFailure || !strings.Contains(errOut, "exists") {
		t.Fatalf("record over a spool: exit %d %s", code, errOut)
	}
}

// Issue 11 point 20: record and recover both refuse to overwrite their
// output unless --force; a refusal leaves the old file as it was.
func TestOverwriteNeedsForce(t *testing.T) {
	dir := t.TempDir()
	sp, wm := filepath.Join(dir, "r.spool"), filepath.Join(dir, "r.webm")
	m := &Main{Devices: fakeDevices{}}
	if code, out, errOut := run(t, m, "record", "--synthetic", "--out", sp, "--seconds", "0.3", "--min-free", "1"); code != exitOK {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errOut)
	}
	if err := os.WriteFile(wm, []byte("an older file"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(sp)
	for _, tc := range []struct {
		name, path string
		args       []string
	}{
		{"recover", wm, []string{"recover", sp, "--webm", wm}},
		{"record", sp, []string{"record", "--synthetic", "--out", sp, "--seconds", "0.3", "--min-free", "1"}},
	} {
		old, _ := os.ReadFile(tc.path)
		code, _, errOut := run(t, m, tc.args...)
		if code != exitFailure || !strings.Contains(errOut, tc.path+": the file exists") || !strings.Contains(errOut, "--force") {
			t.Errorf("%s over an existing file: exit %d, stderr %q; want 1 and the reason with --force", tc.name, code, errOut)
		}
		if now, _ := os.ReadFile(tc.path); !bytes.Equal(now, old) {
			t.Errorf("%s changed the file it refused to overwrite", tc.name)
		}
		code, out, errOut := run(t, m, append(tc.args, "--force")...)
		if code != exitOK {
			t.Errorf("%s --force: exit %d\n%s\n%s", tc.name, code, out, errOut)
		}
	}
	if b, _ := os.ReadFile(wm); string(b) == "an older file" {
		t.Error("recover --force left the old file")
	}
	if after, _ := os.ReadFile(sp); bytes.Equal(after, before) {
		t.Error("record --force left the old spool")
	}
}

// Issue 5 point 4: under the free-space floor the agent refuses to start.
func TestRecordRefusesLowDisk(t *testing.T) {
	sp := filepath.Join(t.TempDir(), "r.spool")
	code, _, errOut := run(t, &Main{Devices: fakeDevices{}}, "record", "--synthetic", "--out", sp, "--min-free", "100000000")
	if code != exitFailure || !strings.Contains(errOut, "not enough free disk space") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// SIGTERM (the context) ends a recording cleanly.
func TestRecordUntilSignal(t *testing.T) {
	sp := filepath.Join(t.TempDir(), "r.spool")
	ctx, cancel := context.WithCancel(t.Context())
	m := &Main{Devices: fakeDevices{}, Started: cancel}
	var o, e bytes.Buffer
	if code := m.Run(ctx, []string{"record", "--synthetic", "--out", sp, "--min-free", "1"}, &o, &e); code != exitOK {
		t.Fatalf("exit %d: %s %s", code, o.String(), e.String())
	}
	r, err := spool.Recover(sp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Marks) < 2 || r.Marks[len(r.Marks)-1].Kind != capture.MarkStop {
		t.Fatalf("marks %+v", r.Marks)
	}
}
