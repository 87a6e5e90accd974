package control

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/capture"
	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/durable"
)

// outDir is where combined files wait (beside their manifests) until
// the queue takes them.
const outDir = "out"

// manifestExt ends the manifest kept beside a combined file in outDir.
const manifestExt = ".manifest.json"

// combineChat makes one file per produced recording of sc from the spool
// base+".spool" (issue 6 point 1), queues each, and removes the spool and
// its sidecar once all are safely queued. final says the hub's last frame
// was seen (its names are the produced recordings); otherwise (a crash)
// every recording not refused gets a file under a fallback name.
func (c *Controller) combineChat(ctx context.Context, base string, sc sidecar, final bool) error {
	rec, err := openSpool(base + ".spool")
	if err != nil {
		return fmt.Errorf("combine %s: %w", sc.Chat.ID, err)
	}
	defer rec.Close()
	var errs []error
	for _, ri := range produced(sc.Chat, final) {
		if slices.Contains(sc.Queued, ri.ID) {
			continue
		}
		if err := c.combineOne(ctx, rec, sc, ri); err != nil {
			errs = append(errs, fmt.Errorf("combine %s: %w", ri.Name, err))
			continue
		}
		sc.Queued = append(sc.Queued, ri.ID)
		if b, err := json.Marshal(sc); err == nil {
			_ = durable.WriteFile(base+".json", b, 0o600) // best effort: at worst a file is made twice
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	rec.Close()
	for _, p := range []string{base + ".spool", base + ".json"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("combine %s: %w", sc.Chat.ID, err)
		}
	}
	return nil
}

// openSpool recovers a spool; a missing one (it could not be made) is an
// empty recording, for a transcript-only file.
func openSpool(path string) (*spool.Recording, error) {
	rec, err := spool.Recover(path)
	if errors.Is(err, os.ErrNotExist) {
		w, werr := spool.Create(path, spool.Header{Started: time.Now().UTC()}, spool.Options{})
		if werr != nil {
			return nil, werr
		}
		if werr := w.Close(); werr != nil {
			return nil, werr
		}
		return spool.Recover(path)
	}
	return rec, err
}

// produced lists the recordings that get a file: named by the hub when
// final; after a crash also the unfinished ones, under a fallback name.
func produced(ch session.ChatData, final bool) []session.RecordingInfo {
	if ch.Recording == nil {
		return nil
	}
	var out []session.RecordingInfo
	for _, ri := range ch.Recording.Recordings {
		switch {
		case ri.Name != "":
		case final || ri.State == session.RecFinal.String() || ch.Recording.Deleted:
			continue // the hub did not produce it (R-H6)
		default:
			ri.Name = fmt.Sprintf("%s_%s_recovered", ch.ID, ri.ID)
		}
		out = append(out, ri)
	}
	return out
}

// subtitles are the recording's lines (RecordingInfo.Lines, R-C5) at
// their media time: the hub's time of the line less the capture's start.
func subtitles(ch session.ChatData, ri session.RecordingInfo, started time.Time) []webm.Subtitle {
	byID := make(map[int64]session.MessageData, len(ch.Transcript))
	for _, m := range ch.Transcript {
		byID[m.ID] = m
	}
	var out []webm.Subtitle
	for _, id := range ri.Lines {
		m, ok := byID[id]
		if !ok {
			continue
		}
		who := m.Name
		if who == "" {
			who = m.From
		}
		out = append(out, webm.Subtitle{At: m.At.Sub(started), Text: who + ": " + m.Text})
	}
	return out
}

// tagsOf are the file's tags (R-V7): interaction, agent, customer,
// queue, kind, disposition, the wrap-up note, partitions, and the case
// data.
func tagsOf(sc sidecar, ri session.RecordingInfo) map[string]string {
	ch := sc.Chat
	t := map[string]string{"interaction": ch.ID, "agent": sc.Agent, "customer": ch.Customer, "queue": ch.Queue,
		"kind": ri.Kind, "recording": ri.ID}
	if ch.Disposition != "" {
		t["disposition"] = ch.Disposition
	}
	if ch.Note != "" { // the wrap-up note (issue 11 point 11)
		t["note"] = ch.Note
	}
	if len(ri.Partitions) > 0 {
		t["partitions"] = strings.Join(ri.Partitions, ",")
	}
	for k, v := range ch.CaseData {
		t["case."+k] = v
	}
	if sc.Mark != "" {
		t[MarkKey] = sc.Mark
	}
	return t
}

// MarkKey is the tag and manifest metadata key that says why a recording
// was finished without its chat's end, e.g. MarkDesktopLost.
const MarkKey = "capture.mark"

// MarkDesktopLost marks the recordings the service finished because the
// desktop stopped sending heartbeats (issue 15 point 4).
const MarkDesktopLost = "desktop lost"

// metadataOf is the manifest's metadata: the case data, and the mark.
func metadataOf(sc sidecar) map[string]string {
	if sc.Mark == "" {
		return sc.Chat.CaseData
	}
	md := make(map[string]string, len(sc.Chat.CaseData)+1)
	for k, v := range sc.Chat.CaseData {
		md[k] = v
	}
	md[MarkKey] = sc.Mark
	return md
}

// combineOne writes one recording's file into outDir (temp, fsync,
// rename; through age when a recipient is set, the SHA-256 taken on the
// way), its manifest beside it, and queues both.
func (c *Controller) combineOne(ctx context.Context, rec *spool.Recording, sc sidecar, ri session.RecordingInfo) error {
	dir := filepath.Join(c.cfg.SpoolDir, outDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	name := ri.Name + ".webm"
	if c.Recipient() != "" {
		name += ".age"
	}
	if !uploader.ValidName(name) {
		return fmt.Errorf("the hub's name %q is not a file name", ri.Name)
	}
	// Each recording holds its own parts (issue 11 point 19): the time it
	// was stopped is cut, its pauses stay padded; its lines move with it.
	parts := snapParts(sc.Parts[ri.ID], rec.Marks)
	subs := subtitles(sc.Chat, ri, sc.Started) // media time
	fileEnd := mediaEnd(rec)                   // 0 without media
	meta := webm.Meta{Title: ri.Name, Tags: tagsOf(sc, ri), NoVideo: !ri.Screen}
	if parts != nil {
		horizon := fileEnd
		if horizon == 0 { // no media: the lines alone are timed
			horizon = math.MaxInt64 / 2
		}
		for i := range subs {
			subs[i].At, _ = webm.MapTime(parts, horizon, subs[i].At)
		}
		if fileEnd > 0 {
			fileEnd = webm.Length(parts, fileEnd)
			meta.Parts = parts
		}
	}
	meta.Subtitles = fitSubtitles(subs, fileEnd)
	final := filepath.Join(dir, name)
	sum, size, err := c.writeFile(final, rec, meta)
	if err != nil {
		return err
	}
	m := uploader.Manifest{
		Recording: ri.ID, Interaction: sc.Chat.ID, Agent: sc.Agent, Customer: sc.Chat.Customer, Queue: sc.Chat.Queue,
		Kind: ri.Kind, Disposition: sc.Chat.Disposition, Partitions: ri.Partitions, Metadata: metadataOf(sc),
		File: name, SHA256: sum, Size: size, Encrypted: c.Recipient() != "", DurationMS: duration(fileEnd, meta.Subtitles).Milliseconds(),
		Tracks: tracksOf(rec, ri, meta.Subtitles), Created: time.Now().UTC(),
	}
	b, err := uploader.MarshalManifest(m)
	if err != nil {
		return err
	}
	if err := durable.WriteFile(final+manifestExt, b, 0o600); err != nil {
		return err
	}
	return c.queue(ctx, final, m)
}

// queue hands a combined file to the queue and removes its manifest.
func (c *Controller) queue(ctx context.Context, path string, m uploader.Manifest) error {
	if c.cfg.Queue != nil {
		if _, err := c.cfg.Queue.Enqueue(ctx, path, m); err != nil {
			return err
		}
		if err := os.Remove(path + manifestExt); err != nil {
			return err
		}
	}
	c.logf("recording %s: %s, %d bytes, sha256 %s, queued %v", m.Recording, m.File, m.Size, m.SHA256, c.cfg.Queue != nil)
	if c.cfg.OnFile != nil {
		c.cfg.OnFile(m)
	}
	return nil
}

// writeFile writes the WebM to path atomically. Plain, it goes straight
// to the file (seekable: cues and sizes); with a recipient it streams
// webm → age → file, nothing readable touching the disk.
func (c *Controller) writeFile(path string, rec *spool.Recording, meta webm.Meta) (sum string, size int64, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return "", 0, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	if c.Recipient() == "" {
		if err = webm.Write(f, rec, meta); err != nil {
			return "", 0, err
		}
		if _, err = f.Seek(0, io.SeekStart); err != nil {
			return "", 0, err
		}
		if size, err = io.Copy(h, f); err != nil {
			return "", 0, err
		}
	} else {
		cw := &counter{w: io.MultiWriter(f, h)}
		var aw io.WriteCloser
		if aw, err = uploader.Encrypt(cw, c.Recipient()); err != nil {
			return "", 0, err
		}
		if err = webm.Write(aw, rec, meta); err != nil {
			return "", 0, err
		}
		if err = aw.Close(); err != nil {
			return "", 0, err
		}
		size = cw.n
	}
	if err = f.Sync(); err != nil {
		return "", 0, err
	}
	if err = f.Close(); err != nil {
		return "", 0, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return "", 0, err
	}
	if err = durable.SyncDir(filepath.Dir(path)); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// duration is the file's length: its media (end), or a later subtitle's.
func duration(end time.Duration, subs []webm.Subtitle) time.Duration {
	for _, s := range subs {
		d := s.Duration
		if d <= 0 {
			d = webm.SubtitleMax
		}
		end = max(end, s.At+d)
	}
	return end
}

// snapParts puts the parts' edges, which the controller took from the
// media clock when the hub's frame came, on the capture's own marks near
// them: a part that ends where the capture paused ends at the pause mark,
// one that begins where it resumed begins at the resume mark (a keyframe).
// nil without parts (a spool from before parts were kept: the whole of it).
func snapParts(parts []webm.Part, marks []capture.Mark) []webm.Part {
	if len(parts) == 0 {
		return nil
	}
	const near = 400 * time.Millisecond
	// the mark is written when the capture applied the change, just before
	// the controller read the time: look back from t, never ahead
	snap := func(t time.Duration, kinds ...capture.MarkKind) time.Duration {
		best := t
		for _, m := range marks {
			if slices.Contains(kinds, m.Kind) && m.PTS <= t && t-m.PTS <= near && (best == t || m.PTS > best) {
				best = m.PTS
			}
		}
		return best
	}
	out := make([]webm.Part, len(parts))
	for i, p := range parts {
		// a part begun with a capture begins at its 0 already (followParts)
		out[i] = webm.Part{From: snap(p.From, capture.MarkResume), To: p.To}
		if p.To >= 0 {
			out[i].To = snap(p.To, capture.MarkPause, capture.MarkStop)
		}
	}
	return out
}

// mediaEnd is the media time of the recording's last packet or mark; 0
// without media.
func mediaEnd(rec *spool.Recording) time.Duration {
	end := rec.Duration
	for _, m := range rec.Marks {
		end = max(end, m.PTS)
	}
	return end
}

// fitSubtitles gives each line its time on screen, until the next line
// and at most webm.SubtitleMax, and with media (end > 0) ends the last
// lines where the media ends: the file is as long as what was captured,
// not a subtitle's few seconds longer. A line stamped after the media's
// end (the hub's closing lines, a clock a little ahead) shows at its last
// moment.
func fitSubtitles(subs []webm.Subtitle, end time.Duration) []webm.Subtitle {
	subs = slices.Clone(subs)
	slices.SortStableFunc(subs, func(a, b webm.Subtitle) int { return cmp.Compare(a.At, b.At) })
	for i := range subs {
		if end > 0 && subs[i].At > end {
			subs[i].At = end
		}
	}
	for i := range subs {
		if subs[i].Duration > 0 {
			continue
		}
		d := webm.SubtitleMax
		if i+1 < len(subs) {
			d = min(d, max(subs[i+1].At-subs[i].At, time.Millisecond))
		}
		if end > 0 && subs[i].At+d > end {
			d = max(end-subs[i].At, time.Millisecond)
		}
		subs[i].Duration = d
	}
	return subs
}

func tracksOf(rec *spool.Recording, ri session.RecordingInfo, subs []webm.Subtitle) []uploader.Track {
	var t []uploader.Track
	if rec.Video > 0 && ri.Screen {
		t = append(t, uploader.Track{Type: "video", Codec: "vp8"})
	}
	if rec.Audio > 0 {
		t = append(t, uploader.Track{Type: "audio", Codec: "opus"})
	}
	if len(subs) > 0 {
		t = append(t, uploader.Track{Type: "subtitle", Codec: "S_TEXT/UTF8"})
	}
	return t
}
