package main

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// Desks are the scripted activities, by name.
const (
	deskBusy  = "busy"  // a terminal scrolling text, 20 lines a second
	deskQuiet = "quiet" // a chat line every three seconds
)

// deskScript is the shell script of a scripted activity, run in an xterm
// covering the screen.
func deskScript(name string) (string, bool) {
	switch name {
	case deskBusy:
		return `i=0; while :; do i=$((i+1)); echo "line $i: the quick brown fox jumps over the lazy dog $(date +%T.%N)"; sleep 0.05; done`, true
	case deskQuiet:
		return `while :; do sleep 3; echo "customer: hello, I have a question about my order $(date +%T)"; done`, true
	}
	return "", false
}

// The recorders, by name.
const (
	caseAgentdesk = "agentdesk"        // capture-agent record (screen + mic into the spool), then recover (WebM)
	caseScreen    = "agentdesk-screen" // our screen path alone, in this process's child: x11 + VP8 into IVF
	caseVoice     = "agentdesk-voice"  // capture-agent record --no-screen: the voice path alone
	// casePolling is the agentdesk case on a display without the X
	// Damage extension: the polling fallback, on the same activity.
	casePolling = "agentdesk-polling"
)

// peerArgs are the ffmpeg encoder arguments of a peer, video then audio,
// without the output file; ext is the output's extension (its container).
func peerArgs(name string) (args []string, ext string, ok bool) {
	opus := []string{"-c:a", "libopus", "-b:a", "24k", "-ac", "1", "-ar", "48000"}
	switch name {
	case "ffmpeg-vp8":
		args, ext = []string{"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k"}, ".webm"
	case "ffmpeg-x264-ultrafast":
		args, ext = []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p"}, ".mkv"
	case "ffmpeg-x264-veryfast":
		args, ext = []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p"}, ".mkv"
	default:
		return nil, "", false
	}
	return append(args, opus...), ext, true
}

// ffmpegArgs is the whole ffmpeg command line of a peer recording
// display (w x h at fps) and PulseAudio's default source for secs
// seconds into file.
func ffmpegArgs(peer []string, display string, w, h, fps int, secs float64, file string) []string {
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-thread_queue_size", "64", "-f", "x11grab", "-draw_mouse", "1",
		"-framerate", strconv.Itoa(fps), "-video_size", fmt.Sprintf("%dx%d", w, h), "-i", display,
		"-thread_queue_size", "64", "-f", "pulse", "-i", "default",
		"-t", fmt.Sprintf("%.3f", secs)}
	return append(append(args, peer...), file)
}

// agentArgs are capture-agent's command lines: the recording (the mic by
// PulseAudio's ALSA device "pulse") and the combine into WebM.
func agentArgs(dir, display string, fps int, secs float64) (record, combine []string, spool, webm string) {
	spool = filepath.Join(dir, "rec.spool")
	webm = filepath.Join(dir, "rec.webm")
	record = []string{"record", "--out", spool, "--seconds", strconv.FormatFloat(secs, 'f', 3, 64),
		"--fps", strconv.Itoa(fps), "--display", display, "--mic", "pulse", "--min-free", "0"}
	combine = []string{"recover", spool, "--webm", webm}
	return record, combine, spool, webm
}
