package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

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
	MyRec, MyRecC  key.Binding // the My Recordings panel
	// In the My Recordings panel: reload the list; on a recording,
	// download it or open its player.
	Reload, Save, Player key.Binding
	// Multi-party chats (issue 14): the picker (transfer, conference,
	// consult), answering an invitation, removing a party, the
	// consultation view.
	Picker, PickerC              key.Binding
	InvAccept, InvReject         key.Binding
	InvAcceptC, InvRejectC       key.Binding
	RemoveParty                  key.Binding
	InvView                      key.Binding // the oldest invitation's chat, read-only
	Consults, ConsultsC          key.Binding
	ConsultTransfer, ConsultConf key.Binding
	// Files in a chat (R-I6): send one, save the last one received.
	SendFile, SaveFile key.Binding
	Quit, QuitC        key.Binding
	Send               key.Binding // enter in a text field
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
		Record:  b("r", "Record/Stop/Continue", "r"),
		Snip:    b("s", "Snip/Stop/Continue", "s"),
		Pause:   b("p", "Pause/Resume", "p"),
		Done:    b("d", "Mark Done", "d"),
		Flag:    b("!", "flag abusive", "!"),
		Delete:  b("D", "confirm deletion", "D"),

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

		Ready:      b("y", "Ready/Not ready", "y"),
		ReadyC:     b("ctrl+o", "Ready / Not ready", "ctrl+o"),
		Up:         b("↑/k", "previous chat", "up", "k"),
		Down:       b("↓/j", "next chat", "down", "j"),
		NextC:      b("ctrl+n", "next chat", "ctrl+n"),
		PrevC:      b("ctrl+p", "previous chat", "ctrl+p"),
		Focus:      b("tab", "next field", "tab"),
		BackTab:    b("shift+tab", "previous field", "shift+tab"),
		Open:       b("enter", "write / wrap up", "enter"),
		Esc:        b("esc", "to the list", "esc"),
		ScrollUp:   b("pgup", "scroll up", "pgup"),
		ScrollDown: b("pgdown", "scroll down", "pgdown"),
		Pick:       b("1-9", "disposition", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Help:       b("?", "this help", "?"),
		Uploads:    b("U", "Uploads panel", "U"),
		UploadsC:   b("f2", "Uploads panel", "f2"),
		MyRec:      b("M", "My Recordings", "M"),
		MyRecC:     b("f3", "My Recordings", "f3"),
		Reload:     b("r", "reload", "r"),
		Save:       b("d", "download", "d"),
		Player:     b("o", "open the player", "o"),
		HelpC:      b("f1", "this help", "f1"),

		Picker:          b("t", "invite/transfer", "t"),
		PickerC:         b("f4", "invite/transfer", "f4"),
		InvAccept:       b("A", "accept invite", "A"),
		InvReject:       b("X", "reject invite", "X"),
		InvAcceptC:      b("f5", "accept invite", "f5"),
		InvRejectC:      b("f6", "reject invite", "f6"),
		RemoveParty:     b("R", "remove a party", "R"),
		InvView:         b("I", "see invitation", "I"),
		Consults:        b("C", "consultations", "C"),
		ConsultsC:       b("f9", "consultations", "f9"),
		ConsultTransfer: b("f7", "to a transfer", "f7"),
		ConsultConf:     b("f8", "to a conference", "f8"),
		SendFile:        b("f", "send a file", "f"),
		SaveFile:        b("F", "save a file", "F"),
		Quit:            b("q", "quit", "q"),
		QuitC:           b("ctrl+c", "quit", "ctrl+c"),
		Send:            b("enter", "send / save", "enter"),
	}
}

// reminder is the key reminder at the bottom of the screen for where the
// focus is: the list's single keys, or in a text field the chords that
// act from there (issue 11 point 12: the keys shown are the keys that
// work). Each item is the key as shown and its word.
func (k keyMap) reminder(inText bool) [][2]string {
	if inText {
		return [][2]string{
			{"f1", "help"}, {"esc", "list"}, {caret(k.AcceptC), "accept"}, {caret(k.EndC), "end"},
			{caret(k.RecordC), "record"}, {caret(k.PauseC), "pause"}, {caret(k.PushURLC), "URL"},
			{caret(k.DoneC), "done"}, {caret(k.ReadyC), "ready"}, {caret(k.PickerC), "transfer"}, {caret(k.QuitC), "quit"},
		}
	}
	return [][2]string{
		{k.Help.Help().Key, "help"}, {k.Focus.Help().Key, "focus"}, {k.Accept.Help().Key, "accept"},
		{k.Reject.Help().Key, "reject"}, {k.End.Help().Key, "end"}, {k.Picker.Help().Key, "transfer"}, {k.PushURL.Help().Key, "push URL"},
		{k.Done.Help().Key, "done"}, {k.Ready.Help().Key, "ready"}, {k.Record.Help().Key, "record"},
		{k.Pause.Help().Key, "pause"}, {k.Quit.Help().Key, "quit"},
	}
}

// caret writes a ctrl chord the terminal way: ctrl+t is ^T.
func caret(b key.Binding) string {
	if l, ok := strings.CutPrefix(b.Help().Key, "ctrl+"); ok && len(l) == 1 {
		return "^" + strings.ToUpper(l)
	}
	return b.Help().Key
}

// helpGroup is one column of the help overlay: a title and its rows.
type helpGroup struct {
	title string
	rows  []helpRow
}

// helpRow is one key line of the help: the keys as shown ("p ^T": the
// list's single key, then the chord that works anywhere) and what they do.
type helpRow struct{ keys, desc string }

// helpGroups lists every binding for ? and f1, in three columns: chat
// actions (single key and chord), moving around, and the rest. The
// README's key table says the same (TestReadmeKeys).
func (k keyMap) helpGroups() []helpGroup {
	pair := func(single, chord key.Binding) helpRow {
		return helpRow{single.Help().Key + " " + caret(chord), single.Help().Desc}
	}
	one := func(b key.Binding) helpRow { return helpRow{caret(b), b.Help().Desc} }
	return []helpGroup{
		{"Chat  (list · anywhere)", []helpRow{
			pair(k.Accept, k.AcceptC), pair(k.Reject, k.RejectC), pair(k.End, k.EndC), pair(k.PushURL, k.PushURLC),
			pair(k.Record, k.RecordC), pair(k.Snip, k.SnipC), pair(k.Pause, k.PauseC), pair(k.Flag, k.FlagC),
			pair(k.Delete, k.DeleteC), pair(k.Done, k.DoneC), pair(k.Ready, k.ReadyC),
		}},
		{"Move", []helpRow{
			one(k.Up), one(k.Down), one(k.NextC), one(k.PrevC), one(k.Focus), one(k.BackTab), one(k.Open), one(k.Send), one(k.Esc),
			one(k.SendFile), one(k.SaveFile), one(k.InvView),
		}},
		{"More", []helpRow{
			one(k.ScrollUp), one(k.ScrollDown), one(k.Pick), pair(k.Help, k.HelpC), pair(k.Uploads, k.UploadsC), pair(k.MyRec, k.MyRecC),
			pair(k.Picker, k.PickerC), pair(k.InvAccept, k.InvAcceptC), pair(k.InvReject, k.InvRejectC),
			one(k.RemoveParty), pair(k.Consults, k.ConsultsC), one(k.ConsultTransfer), one(k.ConsultConf),
			pair(k.Quit, k.QuitC),
		}},
	}
}

// chordOf is the chord of a toolbar action.
func (k keyMap) chordOf(act action) key.Binding {
	switch act {
	case actAccept:
		return k.AcceptC
	case actReject:
		return k.RejectC
	case actEnd:
		return k.EndC
	case actPushURL:
		return k.PushURLC
	case actRecord:
		return k.RecordC
	case actSnip:
		return k.SnipC
	case actPause:
		return k.PauseC
	case actDone:
		return k.DoneC
	case actFlag:
		return k.FlagC
	case actDelete:
		return k.DeleteC
	}
	return key.Binding{}
}
