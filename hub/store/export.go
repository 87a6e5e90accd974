package store

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxExport bounds the recordings one CSV export holds: a search that
// matches more is refused (ErrExportTooLarge), to be narrowed.
const MaxExport = 100_000

// ErrExportTooLarge: a search matches more than MaxExport recordings.
var ErrExportTooLarge = errors.New("store: too many recordings to export")

// exportPage is how many recordings an export reads at a time.
const exportPage = 500

// CSVHeader is the first row of a CSV export: one row per recording after
// it. Lists in a cell are separated by spaces (partitions, tags as
// name=value, each stored file's id, SHA-256 and size in the same order).
var CSVHeader = []string{"id", "interaction", "name", "finished_at", "agent", "queue", "kind", "customer", "contact",
	"disposition", "duration_seconds", "screen", "voice", "partitions", "tags", "produced", "why",
	"file_ids", "file_sha256", "file_sizes"}

// CSVRow is a recording's row of a CSV export, every cell safe to open
// in a spreadsheet (SafeCell).
func CSVRow(r Recording) []string {
	var ids, sums, sizes []string
	for _, f := range r.Files {
		ids, sums, sizes = append(ids, f.ID), append(sums, f.SHA256), append(sizes, strconv.FormatInt(f.Size, 10))
	}
	var tags []string
	for _, k := range slices.Sorted(maps.Keys(r.Tags)) {
		tags = append(tags, k+"="+r.Tags[k])
	}
	finished := ""
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	row := []string{r.ID, r.Interaction, r.Name, finished, r.Agent, r.Queue, r.Kind, r.Customer, r.Contact,
		r.Disposition, strconv.FormatFloat(r.DurationSeconds, 'f', -1, 64), strconv.FormatBool(r.Screen),
		strconv.FormatBool(r.Voice), strings.Join(r.Partitions, " "), strings.Join(tags, " "),
		strconv.FormatBool(r.Produced), r.Why, strings.Join(ids, " "), strings.Join(sums, " "), strings.Join(sizes, " ")}
	for i := range row {
		row[i] = SafeCell(row[i])
	}
	return row
}

// SafeCell keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a cell that begins with =, +, -, @, a tab or a carriage
// return gets a leading '.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportCSV writes every recording f selects (from its first page,
// whatever its Cursor and Limit, without their lines) to w as CSV, a page
// at a time, and returns how many it wrote. A search that matches more
// than max is refused before anything is written (ErrExportTooLarge).
func ExportCSV(ctx context.Context, st Store, f RecordingFilter, w io.Writer, max int) (int, error) {
	f.Cursor, f.Limit, f.Count, f.NoLines = "", exportPage, true, true
	page, err := st.Recordings(ctx, f)
	if err != nil {
		return 0, err
	}
	if page.Total > max {
		return 0, fmt.Errorf("%w: the search matches %d recordings, an export holds at most %d: narrow it (from, to, agent…)",
			ErrExportTooLarge, page.Total, max)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return 0, err
	}
	n := 0
	for {
		for _, r := range page.Recordings {
			if n == max {
				cw.Flush()
				return n, cw.Error()
			}
			if err := cw.Write(CSVRow(r)); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		if page.Next == "" {
			return n, nil
		}
		f.Cursor, f.Count = page.Next, false
		if page, err = st.Recordings(ctx, f); err != nil {
			return n, err
		}
	}
}
