package hub

import (
	"context"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ownUpload answers 403 when the upload the request names belongs to
// another agent; an upload the hub does not know is left to tusd (404).
func (in *ingest) ownUpload(w http.ResponseWriter, r *http.Request, agent string) bool {
	if r.Method == http.MethodPost || r.Method == http.MethodOptions {
		return true
	}
	id := path.Base(r.URL.Path)
	up, err := in.fstore.GetUpload(r.Context(), id)
	if err != nil {
		return true
	}
	info, err := up.GetInfo(r.Context())
	if err != nil || info.MetaData[MetaAgent] == agent {
		return true
	}
	apiError(w, http.StatusForbidden, APIErrForbidden, "upload %s belongs to another agent", id)
	return false
}

// recoverUploads finishes the uploads a killed hub left complete but not
// stored (killed while it hashed or stored them): each is checked and
// stored, or dropped on a mismatch, as the final PATCH would have done. A
// client asking afterwards finds the upload gone and verify confirms it.
// It returns how many were stored and dropped.
func (in *ingest) recoverUploads(ctx context.Context) (stored, dropped int) {
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
