package ingest

import (
	"context"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/session/upload"
)

// ownUpload answers 403 when the upload the request names belongs to
// another agent; an upload the hub does not know is left to tusd (404).
func (in *Ingest) ownUpload(w http.ResponseWriter, r *http.Request, agent string) bool {
	if r.Method == http.MethodPost || r.Method == http.MethodOptions {
		return true
	}
	id := path.Base(r.URL.Path)
	up, err := in.fstore.GetUpload(r.Context(), id)
	if err != nil {
		return true
	}
	info, err := up.GetInfo(r.Context())
	if err != nil || info.MetaData[upload.MetaAgent] == agent {
		return true
	}
	api.WriteError(w, http.StatusForbidden, api.ErrForbidden, "upload %s belongs to another agent", id)
	return false
}

// recoverUploads finishes the uploads a killed hub left complete but not
// stored (killed while it hashed or stored them): each is checked and
// stored, or dropped on a mismatch, as the final PATCH would have done. A
// client asking afterwards finds the upload gone and verify confirms it.
// It returns how many were stored and dropped.
func (in *Ingest) recoverUploads(ctx context.Context) (stored, dropped int) {
	ents, err := os.ReadDir(in.uploads)
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok {
			continue
		}
		up, err := in.fstore.GetUpload(ctx, id)
		if err != nil {
			continue
		}
		info, err := up.GetInfo(ctx)
		if err != nil || info.SizeIsDeferred || info.Offset != info.Size {
			continue // still being uploaded: the client resumes it
		}
		_, err = in.finish(ctx, info)
		if err != nil {
			dropped++
		} else {
			stored++
		}
		if err := in.terminate(ctx, id); err != nil {
			os.Remove(filepath.Join(in.uploads, id))
			os.Remove(filepath.Join(in.uploads, id+".info"))
		}
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
	ents, err := os.ReadDir(in.uploads)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok || !in.idle(id, now, maxAge) {
			continue
		}
		// Not tusd's lock: asking for it would make tusd stop a PATCH in
		// flight and hand the upload over. The serializer's turn is only
		// taken when no request holds or waits for the upload.
		unlock, ok := in.serial.TryLock(id)
		if !ok {
			continue // a request holds it: not idle after all
		}
		if in.idle(id, now, maxAge) && in.terminate(ctx, id) == nil {
			n++
		}
		unlock()
	}
	return n
}

// idle reports whether upload id is unfinished and its data was last
// written more than maxAge before now.
func (in *Ingest) idle(id string, now time.Time, maxAge time.Duration) bool {
	up, err := in.fstore.GetUpload(context.Background(), id)
	if err != nil {
		return false
	}
	info, err := up.GetInfo(context.Background())
	if err != nil || (!info.SizeIsDeferred && info.Offset == info.Size) {
		return false // complete ones are recoverUploads' business
	}
	fi, err := os.Stat(filepath.Join(in.uploads, id))
	return err == nil && now.Sub(fi.ModTime()) > maxAge
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
