package script

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/aymanbagabas/go-udiff"
	"github.com/rivo/uniseg"
)

// snapshotPath is where snapshot name lives.
func (r *runner) snapshotPath(name string) string {
	return filepath.Join(r.env.SnapshotDir, name+".txt")
}

// writeSnapshot saves screen as a text file ending in a newline.
func writeSnapshot(path, screen string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("script: snapshot: %w", err)
	}
	if err := os.WriteFile(path, []byte(screen+"\n"), 0o644); err != nil {
		return fmt.Errorf("script: snapshot: %w", err)
	}
	return nil
}

func (r *runner) snapshot(st *Step) error {
	path := r.snapshotPath(st.Name)
	screen := r.obs.Screen()
	if err := writeSnapshot(path, screen); err != nil {
		return err
	}
	_ = r.env.Events.Write(EventSnapshot, map[string]any{"line": st.Pos.Line, "name": st.Name, "path": path, "screen": screen})
	return nil
}

// compare checks the screen against a saved snapshot; with Env.Update it
// rewrites the snapshot instead of failing.
func (r *runner) compare(st *Step) (*Failure, error) {
	path := r.snapshotPath(st.Name)
	screen := r.obs.Screen()
	b, err := os.ReadFile(path)
	if err != nil && !(os.IsNotExist(err) && r.env.Update) {
		return nil, &SyntaxError{File: st.Pos.File, Line: st.Pos.Line, Col: st.Pos.Col,
			Msg: fmt.Sprintf("cannot read snapshot: %v: run once with --update to create it", err)}
	}
	want := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	ok := err == nil && want == screen
	if !ok && r.env.Update {
		if err := writeSnapshot(path, screen); err != nil {
			return nil, err
		}
		_ = r.env.Events.Write(EventSnapshot, map[string]any{"line": st.Pos.Line, "name": st.Name, "path": path, "updated": true})
		ok = true
	}
	r.logCheck(&Step{Pos: st.Pos, Op: OpCompare, Text: st.Name}, ok)
	if ok {
		return nil, nil
	}
	diff := udiff.Unified(path, "screen", want+"\n", screen+"\n")
	return &Failure{Expected: fmt.Sprintf("the screen to match snapshot %s (--update rewrites it)", path), Detail: diff}, nil
}

// keyEvents counts the key presses bubbletea's input parser makes of typed
// text: one per ASCII byte, one per grapheme cluster otherwise.
func keyEvents(b string) int {
	n := 0
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
		} else {
			cluster, rest, _, _ := uniseg.FirstGraphemeClusterInString(b, -1)
			if cluster == "" {
				break
			}
			b = rest
		}
		n++
	}
	return n
}
