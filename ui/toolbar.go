package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// toolbar shows the selected chat's buttons and why some are disabled.
type toolbar struct{ w int }

func (t *toolbar) SetSize(w, _ int) { t.w = w }

func (t *toolbar) Render(f *frame) rendered {
	var r rendered
	gap, short := " ", 0
	chords := inTextField(f.focus) // the keys that act from here
	labels := toolbarLabels(f, short, chords)
	for toolbarWidth(labels, gap) > t.w && short < len(shortLabels()) {
		if gap != "" {
			gap = ""
		} else {
			short++
		}
		labels = toolbarLabels(f, short, chords)
	}
	var b strings.Builder
	x := 0
	for i, bt := range buttons() {
		if i > 0 {
			b.WriteString(gap)
			x += len(gap)
		}
		ok, _ := available(f.sel, bt.act)
		style := f.st.Button
		if !ok {
			style = f.st.ButtonOff
		}
		b.WriteString(style.Render(labels[i]))
		w := lipgloss.Width(labels[i])
		r.hit(0, x, w, hitTarget{kind: hitButton, act: bt.act})
		x += w
	}
	r.lines = append(r.lines, b.String())
	hint := "No chat selected: offers appear in My Interactions when you are Ready"
	if f.sel != nil {
		hint = stateHint(f, f.sel, t.w)
	}
	r.lines = append(r.lines, f.st.Hint.Render(ansi.Truncate(hint, t.w, "…")))
	return r
}

// shortLabels are the shorter labels a narrow toolbar uses, the first
// one first until the toolbar fits.
func shortLabels() [3][2]string {
	return [...][2]string{{"Push URL", "URL"}, {"Mark Done", "Done"}, {"Continue", "Cont."}}
}

// toolbarLabels are the buttons as drawn, "[r Stop]", or with chords
// "[^R Stop]" while a text field has the focus: the key shown is the key
// that acts (issue 11 point 12). The recording buttons' labels follow the
// selected chat's recordings (R-C1, R-C4). The first short of
// shortLabels are used.
func toolbarLabels(f *frame, short int, chords bool) []string {
	var out []string
	for _, bt := range buttons() {
		label := bt.label
		if b, ok := recButton(bt.act); ok && f.sel != nil {
			label = f.sel.ButtonLabel(b)
		}
		all := shortLabels()
		for _, s := range all[:short] {
			if label == s[0] {
				label = s[1]
			}
		}
		k := bt.key
		if chords {
			k = caret(f.m.keys.chordOf(bt.act))
		}
		out = append(out, "["+k+" "+label+"]")
	}
	return out
}

func toolbarWidth(labels []string, gap string) int {
	w := len(gap) * (len(labels) - 1)
	for _, l := range labels {
		w += lipgloss.Width(l)
	}
	return w
}
