package service

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// metrics are the service's counters; the gauges are read at scrape time.
type metrics struct {
	mu sync.Mutex
	c  map[string]uint64
}

func newMetrics() *metrics { return &metrics{c: map[string]uint64{}} }

func (m *metrics) add(name string, n uint64) {
	m.mu.Lock()
	m.c[name] += n
	m.mu.Unlock()
}

func (m *metrics) snapshot() map[string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]uint64, len(m.c))
	for k, v := range m.c {
		out[k] = v
	}
	return out
}

// counterHelp documents each counter (all of them, always written, so a
// scraper sees 0 rather than nothing).
var counterHelp = map[string]string{
	"recordings":          "Recording files made and queued for upload.",
	"recording_bytes":     "Bytes of recording files made.",
	"recordings_marked":   "Recording files finished without their chat's end (e.g. desktop lost).",
	"desktops_attached":   "Desktop sessions attached to the control socket.",
	"desktops_lost":       "Desktop sessions ended because their heartbeat stopped.",
	"frames_observed":     "Hub frames the primary desktop passed to capture.",
	"screens_recorded":    "Screens of the primary text desktop passed to capture (its cast).",
	"refused_connections": "Control socket connections refused because they came from another user.",
	"errors":              "Errors recorded for capture-agent status.",
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.WriteMetrics(w)
}

// WriteMetrics writes the metrics in the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) {
	rep := s.Report()
	names := make([]string, 0, len(counterHelp))
	for k := range counterHelp {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		metric(w, "capture_agent_"+k+"_total", "counter", counterHelp[k], float64(rep.Counters[k]))
	}
	var bytes, frames, grabs, dropped float64
	var grabTime, encTime time.Duration
	for _, a := range s.ctl.Actives() {
		bytes += float64(a.Media.Bytes)
		frames += float64(a.Media.Frames)
		grabs += float64(a.Media.Grabs)
		dropped += float64(a.Media.Dropped)
		grabTime += a.Media.GrabTime
		encTime += a.Media.EncodeTime
	}
	metric(w, "capture_agent_recordings_in_progress", "gauge", "Chats being captured now.", float64(len(rep.Captures)))
	metric(w, "capture_agent_capture_bytes", "gauge", "Bytes spooled by the captures in progress.", bytes)
	metric(w, "capture_agent_capture_frames", "gauge", "Video frames encoded by the captures in progress.", frames)
	metric(w, "capture_agent_capture_dropped_frames", "gauge", "Frame ticks skipped because a capture in progress fell more than a second behind.", dropped)
	frameTime := 0.0
	if grabs > 0 {
		frameTime = grabTime.Seconds() / grabs
	}
	metric(w, "capture_agent_capture_frame_seconds", "gauge", "Mean time of one screen grab of the captures in progress.", frameTime)
	metric(w, "capture_agent_encoder_cpu_seconds", "gauge", "Time spent in the video and voice encoders by the captures in progress.", encTime.Seconds())
	metric(w, "capture_agent_upload_queue_length", "gauge", "Files waiting to be uploaded.", float64(rep.Queue.Length))
	age := 0.0
	if !rep.Queue.Oldest.IsZero() {
		age = time.Since(rep.Queue.Oldest).Seconds()
	}
	metric(w, "capture_agent_upload_queue_age_seconds", "gauge", "Age of the oldest file waiting to be uploaded (0 when none).", age)
	metric(w, "capture_agent_upload_failed", "gauge", "Files the queue gave up on.", float64(rep.Queue.Failed))
	last := 0.0
	if rep.Last != nil {
		last = float64(rep.Last.At.Unix())
	}
	metric(w, "capture_agent_last_upload_timestamp_seconds", "gauge", "When the last file was stored (Unix time; 0 when none).", last)
	metric(w, "capture_agent_desktops", "gauge", "Desktops attached now.", float64(len(rep.Desktops)))
	metric(w, "capture_agent_start_timestamp_seconds", "gauge", "When the service started (Unix time).", float64(rep.Started.Unix()))
}

func metric(w io.Writer, name, typ, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", name, help, name, typ, name, v)
}
