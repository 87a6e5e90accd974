package ingest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session/upload"
)

// HeaderMethodOverride is the header with which a tus client that cannot
// send PATCH or DELETE asks for them in a POST.
const HeaderMethodOverride = "X-HTTP-Method-Override"

// overrideMethod applies X-HTTP-Method-Override to a POST the way tusd
// would, before any check of ours reads the method: it returns the request
// to handle, with the method asked for and without the header, so the
// ownership check, the per-upload serialisation and tusd all see the
// method tusd runs and tusd applies nothing afterwards. (The original
// request keeps its method: net/http frames the answer by it.) Only PATCH
// and DELETE may be asked for, once: the methods a client behind a
// restrictive proxy cannot send. Anything else is refused with 400 (a HEAD
// through a POST cannot work: tusd announces the upload's length as the
// answer's Content-Length). On other methods tusd ignores the header; it
// is removed all the same.
func overrideMethod(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	vals := r.Header.Values(HeaderMethodOverride)
	if len(vals) == 0 {
		return r, true
	}
	r = r.Clone(r.Context())
	r.Header.Del(HeaderMethodOverride)
	if r.Method != http.MethodPost {
		return r, true
	}
	if len(vals) == 1 {
		switch m := vals[0]; m {
		case http.MethodPatch, http.MethodDelete:
			r.Method = m
			return r, true
		}
	}
	w.Header().Set("Tus-Resumable", upload.TusVersion)
	api.WriteError(w, http.StatusBadRequest, api.ErrBadRequest, "%s may ask for PATCH or DELETE, once; send other methods as themselves", HeaderMethodOverride)
	return nil, false
}

// uploadID is the upload a path under /v1/uploads/ names, read as tusd
// reads it ("" for the collection itself).
func uploadID(p string) string {
	return strings.Trim(strings.TrimPrefix(p, upload.UploadsPath), "/")
}

// plainID reports whether id could be an upload id of ours (tusd's
// filestore makes 32 hex digits): one path component of letters and
// digits, nothing a file path could be made of.
func plainID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ownUpload answers 404 when the request names an upload that is not the
// agent's: one of another agent and one that does not exist get the same
// answer, so nobody learns which uploads exist (issue 10). Creation (POST
// on the collection) and OPTIONS name no upload.
func (in *Ingest) ownUpload(w http.ResponseWriter, r *http.Request, agent string) bool {
	id := uploadID(r.URL.Path)
	if id == "" || r.Method == http.MethodOptions {
		return true
	}
	if plainID(id) && agent != "" {
		up, err := in.staging.GetUpload(r.Context(), id)
		var info tusd.FileInfo
		if err == nil {
			info, err = up.GetInfo(r.Context())
		}
		switch {
		case err == nil && info.MetaData[upload.MetaAgent] == agent:
			return true
		case errors.Is(err, ErrStagingDown):
			// The staging bucket does not answer: not 404, which would make
			// the desktop start again at byte 0.
			in.log.Warn("cannot read a staged upload", "upload", id, "err", err)
			w.Header().Set("Tus-Resumable", upload.TusVersion)
			w.Header().Set("Retry-After", "5")
			api.WriteError(w, http.StatusServiceUnavailable, api.ErrUnavailable, "the hub cannot read its unfinished uploads just now; try again shortly")
			return false
		}
	}
	noSuchUpload(w, r)
	return false
}

// noSuchUpload is the one answer for an upload that is unknown or not the
// caller's.
func noSuchUpload(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Tus-Resumable", upload.TusVersion)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	api.WriteError(w, http.StatusNotFound, api.ErrNoSuchUpload, "no such upload")
}

// recoverUploads finishes the uploads a killed hub left complete but not
// stored (killed while it hashed or stored them): each is checked and
// stored, or dropped on a mismatch, as the final PATCH would have done. A
// client asking afterwards finds the upload gone and verify confirms it.
// It returns how many were stored and dropped.
func (in *Ingest) recoverUploads(ctx context.Context) (stored, dropped int) {
	return in.recoverFrom(ctx, in.staging, false)
}

// recoverFrom finishes the whole uploads of sg (see recoverUploads); with
// all it also terminates the unfinished ones (their desktops find them
// gone and send them again from byte 0).
func (in *Ingest) recoverFrom(ctx context.Context, sg Staging, all bool) (stored, dropped int) {
	ups, err := sg.Uploads(ctx)
	if err != nil {
		in.log.Error("cannot list the unfinished uploads", "err", err)
		return 0, 0
	}
	for _, u := range ups {
		if !u.Whole() && !all {
			continue // still being uploaded: the client resumes it
		}
		unlock, ok := in.serial.TryLock(u.Info.ID)
		if !ok {
			continue // a request holds it (a cluster's core picking up): it finishes it
		}
		// A staging bucket may hold it in parts still (killed before it
		// joined them); the filestore's FinishUpload does nothing.
		up, err := sg.GetUpload(ctx, u.Info.ID)
		switch {
		case err == nil && !u.Whole():
			dropped++
		default:
			if err == nil {
				err = up.FinishUpload(ctx)
			}
			if err == nil {
				_, err = in.finish(ctx, u.Info)
			}
			if err != nil {
				in.log.Warn("a finished upload left by a killed hub could not be stored; the desktop sends it again", "upload", u.Info.ID, "err", err)
				dropped++
			} else {
				stored++
			}
		}
		if up != nil {
			err = sg.AsTerminatableUpload(up).Terminate(ctx)
		}
		if err != nil {
			in.log.Error("a finished upload is left staged", "upload", u.Info.ID, "err", err)
		}
		unlock()
	}
	return stored, dropped
}

// ExpireUploads deletes the unfinished uploads that have gone without a
// byte for longer than maxAge before now: parts left by desktops that were
// reinstalled, or gave the recording to another sink. Nothing recorded is
// lost: a desktop that comes back finds its upload gone (404) and sends the
// file again from byte 0, and only then deletes its copy. An upload a
// request holds is left alone. It returns how many were deleted.
func (in *Ingest) ExpireUploads(ctx context.Context, now time.Time, maxAge time.Duration) int {
	ups, err := in.staging.Uploads(ctx)
	if err != nil {
		in.log.Error("cannot list the unfinished uploads", "err", err)
		return 0
	}
	n := 0
	for _, u := range ups {
		id := u.Info.ID
		if !idle(u, now, maxAge) {
			continue
		}
		// Not tusd's lock: asking for it would make tusd stop a PATCH in
		// flight and hand the upload over. The serializer's turn is only
		// taken when no request holds or waits for the upload.
		unlock, ok := in.serial.TryLock(id)
		if !ok {
			continue // a request holds it: not idle after all
		}
		if u, ok := in.staged(ctx, id); ok && idle(u, now, maxAge) && in.terminate(ctx, id) == nil {
			n++
		}
		unlock()
	}
	return n
}

// idle reports whether upload u is unfinished and its data was last
// written more than maxAge before now.
func idle(u Staged, now time.Time, maxAge time.Duration) bool {
	if u.Whole() {
		return false // complete ones are recoverUploads' business
	}
	return now.Sub(u.Moved) > maxAge
}

// janitor runs expireUploads every period until stop is closed.
func (in *Ingest) janitor(maxAge time.Duration, stop <-chan struct{}, log func(n int)) {
	period := min(maxAge/4, time.Hour)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			if n := in.ExpireUploads(context.Background(), now, maxAge); n > 0 {
				log(n)
			}
		}
	}
}
