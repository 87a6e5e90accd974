package ui

import "charm.land/bubbles/v2/key"

// keyMap holds every key binding of the desktop, so that help lists them all.
//
// Two kinds of keys: single letters act only while the chat list has the
// focus (in the composer they are text); chords (ctrl+…, f1) act from
// anywhere. The chords take precedence over the text fields' own editing
// keys of the same name (ctrl+a, ctrl+e, ctrl+u, ctrl+d).
type keyMap struct {
	// Chat actions: a single key (list focus) and a chord (anywhere).
	Accept, Reject, End, PushURL, Record, Snip, Pause, Done         key.Binding
	AcceptC, RejectC, EndC, PushURLC, RecordC, SnipC, PauseC, DoneC key.Binding
	Flag, Delete, FlagC, DeleteC                                    key.Binding // abusive (R-H7), deletion (R-H6)
	Yes, No                                                         key.Binding // answer a y/n question

	Ready, ReadyC  key.Binding
	Up, Down       key.Binding
	NextC, PrevC   key.Binding
	Focus, BackTab key.Binding
	Open           key.Binding // enter in the list: go to the composer / form
	Esc            key.Binding
	ScrollUp       key.Binding
	ScrollDown     key.Binding
	Pick           key.Binding // 1-9 in ACW: pick a disposition
	Help, HelpC    key.Binding
	Uploads        key.Binding // the Uploads panel
	UploadsC       key.Binding
	Quit, QuitC    key.Binding
	Send           key.Binding // enter in a text field
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Accept:  b("a", "accept the offer", "a"),
		Reject:  b("x", "reject the offer", "x"),
		End:     b("e", "end the chat", "e"),
		PushURL: b("u", "push a URL", "u"),
		Record:  b("r", "Record / Stop / Continue", "r"),
		Snip:    b("s", "Snip / Stop / Continue", "s"),
		Pause:   b("p", "Pause / Resume", "p"),
		Done:    b("d", "Mark Done (wrap-up)", "d"),
		Flag:    b("!", "flag the chat abusive", "!"),
		Delete:  b("D", "Delete (customer asked)", "D"),

		AcceptC:  b("ctrl+a", "accept", "ctrl+a"),
		RejectC:  b("ctrl+x", "reject", "ctrl+x"),
		EndC:     b("ctrl+e", "end", "ctrl+e"),
		PushURLC: b("ctrl+u", "push URL", "ctrl+u"),
		RecordC:  b("ctrl+r", "record", "ctrl+r"),
		SnipC:    b("ctrl+s", "snip", "ctrl+s"),
		PauseC:   b("ctrl+t", "pause", "ctrl+t"),
		DoneC:    b("ctrl+d", "Mark Done", "ctrl+d"),
		FlagC:    b("ctrl+g", "flag abusive", "ctrl+g"),
		DeleteC:  b("ctrl+l", "delete recording", "ctrl+l"),
		Yes:      b("y", "yes", "y", "Y"),
		No:       b("n", "no", "n", "N", "esc"),

		Ready:      b("y", "Ready / Not ready", "y"),
		ReadyC:     b("ctrl+o", "Ready / Not ready", "ctrl+o"),
		Up:         b("↑/k", "previous chat", "up", "k"),
		Down:       b("↓/j", "next chat", "down", "j"),
		NextC:      b("ctrl+n", "next chat", "ctrl+n"),
		PrevC:      b("ctrl+p", "previous chat", "ctrl+p"),
		Focus:      b("tab", "next field", "tab"),
		BackTab:    b("shift+tab", "previous field", "shift+tab"),
		Open:       b("enter", "open composer/form", "enter"),
		Esc:        b("esc", "back to the list", "esc"),
		ScrollUp:   b("pgup", "scroll transcript up", "pgup"),
		ScrollDown: b("pgdown", "scroll transcript down", "pgdown"),
		Pick:       b("1-9", "pick a disposition", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Help:       b("?", "this help", "?"),
		Uploads:    b("U", "the Uploads panel", "U"),
		UploadsC:   b("f2", "the Uploads panel", "f2"),
		HelpC:      b("f1", "this help", "f1"),
		Quit:       b("q", "quit", "q"),
		QuitC:      b("ctrl+c", "quit", "ctrl+c"),
		Send:       b("enter", "send / save", "enter"),
	}
}

// ShortHelp is the one-line reminder at the bottom of the screen.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.Focus, k.Accept, k.Reject, k.End, k.PushURL, k.Done, k.Ready, k.Quit}
}

// shortWords are the reminder's words for ShortHelp's bindings.
func shortWords() [9]string {
	return [...]string{"help", "focus", "accept", "reject", "end", "push URL", "done", "ready", "quit"}
}

// FullHelp lists every binding, grouped in columns, for the help overlay.
// The first two groups run in parallel: a single key and its chord.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Accept, k.Reject, k.End, k.PushURL, k.Record, k.Snip, k.Pause, k.Flag, k.Delete, k.Done, k.Ready},
		{k.AcceptC, k.RejectC, k.EndC, k.PushURLC, k.RecordC, k.SnipC, k.PauseC, k.FlagC, k.DeleteC, k.DoneC, k.ReadyC},
		{k.Up, k.Down, k.NextC, k.PrevC, k.Focus, k.BackTab, k.Open, k.Send, k.Esc},
		{k.ScrollUp, k.ScrollDown, k.Pick, k.Help, k.HelpC, k.Uploads, k.UploadsC, k.Quit, k.QuitC},
	}
}
