package service

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/agentdesk/agentdesk/uploader"
)

// maxBody bounds a request body: an envelope with a long transcript
// fits many times over.
const maxBody = 8 << 20

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathStatus, s.handleStatus)
	mux.HandleFunc("GET "+PathMetrics, s.metricsHandler)
	mux.HandleFunc("POST "+PathAttach, s.handleAttach)
	mux.HandleFunc("POST "+PathHeartbeat, s.handleHeartbeat)
	mux.HandleFunc("POST "+PathObserve, s.handleObserve)
	mux.HandleFunc("POST "+PathFrame, s.handleFrame)
	mux.HandleFunc("POST "+PathDetach, s.handleDetach)
	return mux
}

// decode reads a JSON body into v; a bad one is answered 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) handleAttach(w http.ResponseWriter, r *http.Request) {
	var req AttachRequest
	if !decode(w, r, &req) {
		return
	}
	if s.hub != nil && req.Hub != "" && req.Token != "" {
		if err := s.hub.set(req.Hub, req.Token, true); err != nil {
			s.fail(fmt.Sprintf("the hub the desktop gave cannot be used for uploads: %v", err))
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	now := time.Now()
	d := &desktop{Desktop: Desktop{Session: hex.EncodeToString(b[:]), PID: req.PID, Attached: now.UTC(), Heartbeat: now}}
	s.mu.Lock()
	for _, id := range append([]string(nil), s.order...) {
		if s.desktops[id].gone { // it quit: this one takes over at once
			s.dropLocked(id)
		}
	}
	d.Primary = len(s.order) == 0
	s.desktops[d.Session] = d
	s.order = append(s.order, d.Session)
	s.mu.Unlock()
	s.m.add("desktops_attached", 1)
	s.log.Info("desktop attached", "pid", req.PID, "primary", d.Primary)
	reply(w, AttachResponse{Session: d.Session, Primary: d.Primary, HeartbeatEvery: s.cfg.HeartbeatTimeout / 6,
		HeartbeatTimeout: s.cfg.HeartbeatTimeout, Mode: s.mode, Warning: s.warn, Version: s.version, PID: os.Getpid()})
}

// touch renews a session's heartbeat; it reports the session and whether
// it is primary, or answers 404.
func (s *Server) touch(w http.ResponseWriter, id string) (primary, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.desktops[id]
	if d == nil {
		http.Error(w, "unknown session: attach again", http.StatusNotFound)
		return false, false
	}
	d.Heartbeat = time.Now()
	return d.Primary, true
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	if !decode(w, r, &req) {
		return
	}
	if _, ok := s.touch(w, req.Session); ok {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) handleObserve(w http.ResponseWriter, r *http.Request) {
	var req ObserveRequest
	if !decode(w, r, &req) {
		return
	}
	primary, ok := s.touch(w, req.Session)
	if !ok {
		return
	}
	if primary {
		s.ctl.Observe(r.Context(), req.Envelope)
		s.m.add("frames_observed", 1)
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleFrame records the primary desktop's screen into the capture
// holding the screen (a viewer's screens are not recorded).
func (s *Server) handleFrame(w http.ResponseWriter, r *http.Request) {
	var req FrameRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Cols < 1 || req.Rows < 1 || req.Cols > maxCells || req.Rows > maxCells {
		http.Error(w, fmt.Sprintf("bad request: a frame of %dx%d cells: want 1..%d each", req.Cols, req.Rows, maxCells), http.StatusBadRequest)
		return
	}
	primary, ok := s.touch(w, req.Session)
	if !ok {
		return
	}
	if primary {
		s.ctl.Frame(req.Content, req.Cols, req.Rows)
		s.m.add("screens_recorded", 1)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDetach(w http.ResponseWriter, r *http.Request) {
	var req SessionRequest
	if !decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	d, ok := s.desktops[req.Session]
	switch {
	case ok && len(s.order) > 1:
		s.dropLocked(req.Session)
	case ok: // the last one: its captures go on until its heartbeat times out
		d.gone = true
	}
	s.mu.Unlock()
	if ok {
		s.log.Info("desktop detached")
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	reply(w, s.Report())
}

// Report is the service's status now.
func (s *Server) Report() Report {
	rep := Report{Version: s.version, PID: os.Getpid(), UID: s.env.UID, Started: s.started, Mode: s.mode, Warning: s.warn,
		Socket: s.socket, SpoolDir: s.spool, UploadTo: s.uploadTo(), Counters: s.m.snapshot()}
	for _, a := range s.ctl.Actives() {
		rep.Captures = append(rep.Captures, Capture{Chat: a.Chat, Status: a.Status, Bytes: a.Media.Bytes, Frames: a.Media.Frames})
	}
	now := time.Now()
	for _, it := range s.queue.Snapshot() {
		u := UploadItem{ItemStatus: it, StateText: it.Describe(now)}
		rep.Uploads = append(rep.Uploads, u)
		switch it.State {
		case uploader.StateDone:
			if rep.Last == nil || it.Updated.After(rep.Last.At) {
				u.At = it.Updated
				rep.Last = &u
			}
		case uploader.StateFailed:
			rep.Queue.Failed++
		default:
			rep.Queue.Length++
			if rep.Queue.Oldest.IsZero() || it.Enqueued.Before(rep.Queue.Oldest) {
				rep.Queue.Oldest = it.Enqueued
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep.Last == nil && s.last != nil {
		rep.Last = s.last
	} else if rep.Last != nil {
		s.last = rep.Last
	}
	for _, id := range s.order {
		d := s.desktops[id].Desktop
		d.Heartbeat = d.Heartbeat.UTC()
		rep.Desktops = append(rep.Desktops, d)
	}
	rep.Errors = append([]ErrorEntry(nil), s.errs...)
	return rep
}

func (s *Server) uploadTo() string {
	if s.hub != nil {
		return s.hub.where()
	}
	return s.sinkW
}

// errStatus reads an error response's body.
func errStatus(resp *http.Response, body []byte) error {
	msg := string(body)
	if IsNotOwner(msg) {
		return fmt.Errorf("%w", ErrNotOwner)
	}
	return errors.New(resp.Status + ": " + msg)
}
