package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/agentdesk/agentdesk/capture/spool"
	"github.com/agentdesk/agentdesk/capture/webm"
)

const recoverSynopsis = `Usage: capture-agent recover FILE.spool --webm OUT.webm [--tag key=value]... [--force]

Reads a spool up to its first torn or damaged record (a spool left by a
crash or kill -9 is fine) and writes the WebM file: screen, voice,
chapters for pauses, tags. An existing --webm file is refused (exit 1)
unless --force.`

func (m *Main) recover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("capture-agent recover", recoverSynopsis)
	out := fs.String("webm", "", "the WebM `file` to write (required)")
	tags := tagFlag{}
	fs.Var(tags, "tag", "a `key=value` tag to add (repeatable)")
	force := fs.Bool("force", false, "replace an existing --webm file")
	pos, err := parse(fs, args, 1, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErr(fs, stderr, "which spool? give FILE.spool")
	case *out == "":
		return usageErr(fs, stderr, "--webm is required")
	}
	if _, err := os.Lstat(*out); err == nil && !*force {
		return refuseExisting(*out, "--webm", false)
	}
	rec, err := spool.Recover(pos[0])
	if err != nil {
		return err
	}
	defer rec.Close()
	fmt.Fprintf(stdout, "recovered %s: %.1f s, %d video and %d audio packets, %d marks", pos[0], rec.Duration.Seconds(), rec.Video, rec.Audio, len(rec.Marks))
	if rec.Dropped > 0 {
		fmt.Fprintf(stdout, "; dropped %d bytes at the end (%v)", rec.Dropped, rec.Stopped)
	}
	fmt.Fprintln(stdout)
	if err := writeWebM(*out, rec, webm.Meta{Tags: tags}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return ctx.Err()
}

// writeWebM writes the file through a temporary one in the same
// directory, so a failure leaves no half file under the name.
func writeWebM(path string, rec *spool.Recording, meta webm.Meta) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".capture-agent-*.webm")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := webm.Write(tmp, rec, meta); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
