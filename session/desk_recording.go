package session

import (
	"strings"
	"time"
)

// Attention reasons of recording control, used by the desk for the notices
// it derives from recording frames (issue 4).
const (
	AttnRecording = "recording"  // a recording changed; Text is the hub's words, with who
	AttnObserved  = "observed"   // a supervisor or flow started recording the chat (R-C8)
	AttnDeleteAsk = "delete_ask" // the customer asked for deletion; the agent confirms with Delete (R-H6)
)

// ObservedText is the notice the agent gets when someone other than the
// agent starts recording the chat (R-C8) and the hub does not say who.
const ObservedText = "someone else started recording this chat"

// Cause names why a recording runs, as the agent sees it (R-C8, issue 11
// point 4): a short mark for the list ("REC", "FULL", "SEL", "SUP"…, at
// most 4 letters) and
// words for the chat's line. The kind and who began it decide: the
// agent's Record or Snip, their full-time or automatic setting, the
// queue's routing (selective), the flow, a supervisor, the recording API,
// the abusive flag. others reports whether someone other than the agent
// (or their own settings) records: the R-C8 eye.
func Cause(r RecordingInfo) (mark, words string, others bool) {
	switch r.Kind {
	case KindRecord.String():
		return "REC", "Record", false
	case KindSnip.String():
		return "SNIP", "snippet for the recording store", false
	case KindAuto.String():
		return "AUTO", "automatic recording (your setting)", false
	case KindFullTime.String():
		return "FULL", "full-time recording (your setting)", false
	case KindSelective.String():
		return "SEL", "selective recording by the queue", true
	case KindAbuse.String():
		return "FLAG", "flagged abusive: always recorded", false
	case KindDynamic.String():
		switch r.By {
		case "supervisor":
			return "SUP", "a supervisor records it (recording API)", true
		case "flow":
			return "FLOW", "the chat flow records it (recording API)", true
		}
		return "API", "recorded through the recording API", true
	}
	if r.By == "supervisor" {
		return "SUP", "a supervisor records it", true
	}
	return "REC", "recorded (" + r.Kind + ")", r.By == "flow"
}

// DeleteAskText is the notice the agent gets when the customer asks for
// the recording to be deleted (R-H6).
const DeleteAskText = "the customer asked to delete the recording: press D to confirm"

// NoRecordingState is why the recording buttons are disabled while the hub
// has sent no recording state for a chat (an offer, or an older hub): the
// text of ErrChatNotConnected.
const NoRecordingState = "the chat is not in a state that allows recording"

// Key returns the button's name in RecordData and RecordingData.Buttons:
// "record", "snip" or "pause"; "" for no button.
func (b Button) Key() string {
	switch b {
	case BtnRecord:
		return "record"
	case BtnSnip:
		return "snip"
	case BtnPause:
		return "pause"
	}
	return ""
}

// ButtonState returns what the hub says about button b on this chat:
// enabled, or disabled with the reason. Without recording state from the
// hub every button is disabled with NoRecordingState. The desk never
// decides a recording rule itself.
func (c *Chat) ButtonState(b Button) ButtonState {
	if c.Recording == nil {
		return ButtonState{Reason: NoRecordingState}
	}
	bs, ok := c.Recording.Buttons[b.Key()]
	if !ok {
		return ButtonState{Reason: NoRecordingState}
	}
	if !bs.Enabled && bs.Reason == "" {
		bs.Reason = b.String() + " is unavailable"
	}
	if bs.Enabled {
		bs.Reason = ""
	}
	return bs
}

// ButtonLabel returns the toolbar label of b as the chat's recordings
// stand: Record and Snip read "Stop" while the agent's recording of that
// kind runs (or is paused) and "Continue" once stopped (R-C1); Pause reads
// "Resume" while the pausable recordings are paused (R-C4).
func (c *Chat) ButtonLabel(b Button) string {
	switch b {
	case BtnRecord, BtnSnip:
		kind := KindRecord
		if b == BtnSnip {
			kind = KindSnip
		}
		switch rec := c.RecordingOf(kind); {
		case rec == nil:
		case rec.State == RecOn.String() || rec.State == RecPaused.String():
			return "Stop"
		case rec.State == RecStopped.String():
			return "Continue"
		}
	case BtnPause:
		if c.PausedOnly() {
			return "Resume"
		}
	}
	return b.String()
}

// RecordingOf returns the chat's recording of kind k, or nil.
func (c *Chat) RecordingOf(k Kind) *RecordingInfo {
	if c.Recording == nil {
		return nil
	}
	for i := range c.Recording.Recordings {
		if c.Recording.Recordings[i].Kind == k.String() {
			return &c.Recording.Recordings[i]
		}
	}
	return nil
}

// PausedOnly reports whether the chat's pausable recordings are paused and
// none of them runs: Pause would resume them.
func (c *Chat) PausedOnly() bool {
	if c.Recording == nil {
		return false
	}
	on, paused := false, false
	for _, r := range c.Recording.Recordings {
		if r.Kind == KindSnip.String() || r.Kind == KindAbuse.String() {
			continue
		}
		on = on || r.State == RecOn.String()
		paused = paused || r.State == RecPaused.String()
	}
	if len(c.Recording.Recordings) == 0 {
		return c.Recording.Paused
	}
	return paused && !on
}

// Running returns the chat's running recording the agent should see
// first, with the start of its running part: the agent's own Record or
// Snip, then automatic and full-time ones, then any other. ok is false
// when nothing runs.
func (c *Chat) Running() (rec RecordingInfo, ok bool) {
	if c.Recording == nil {
		return RecordingInfo{}, false
	}
	rank := func(r RecordingInfo) int {
		switch r.Kind {
		case KindRecord.String(), KindSnip.String():
			return 0
		case KindAuto.String(), KindFullTime.String():
			return 1
		}
		return 2
	}
	best := -1
	for i, r := range c.Recording.Recordings {
		if r.State != RecOn.String() {
			continue
		}
		if best < 0 || rank(r) < rank(c.Recording.Recordings[best]) {
			best = i
		}
	}
	if best < 0 {
		return RecordingInfo{}, false
	}
	return c.Recording.Recordings[best], true
}

// setRecording stores a chat's recording state and returns the notices it
// brings: the hub's words for the change, R-C8 when the chat becomes
// observed, and the customer's deletion request (R-H6), each said when it
// begins. The state itself shows them for as long as they hold, so they
// are not kept among the chat's attention reasons.
//
// A snapshot (announce false) restores the state without repeating the
// hub's words for the last change.
func (d *Desk) setRecording(c *Chat, rd *RecordingData, announce bool, now time.Time) []Notice {
	prev := c.Recording
	c.Recording = rd
	if rd == nil {
		return nil
	}
	var out []Notice
	say := func(reason, text string) {
		out = append(out, Notice{Chat: c.ID, Reason: reason, Text: text, At: now})
	}
	if ch := strings.TrimSpace(rd.Change); ch != "" && announce {
		say(AttnRecording, ch)
	}
	if rd.Observed && (prev == nil || !prev.Observed) {
		say(AttnObserved, observedWords(rd))
	}
	if asked := func(r *RecordingData) bool { return r != nil && r.DeleteAsk && !r.Deleted }; asked(rd) && !asked(prev) {
		say(AttnDeleteAsk, DeleteAskText)
	}
	return out
}

// observedWords says who else records the chat, from the first running
// or paused recording someone other than the agent began.
func observedWords(rd *RecordingData) string {
	for _, r := range rd.Recordings {
		if r.State != RecOn.String() && r.State != RecPaused.String() {
			continue
		}
		if _, words, others := Cause(r); others {
			return "started: " + words
		}
	}
	return ObservedText
}

func (d *Desk) applyRecording(e Envelope, now time.Time) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var rd RecordingData
	if err := e.Decode(&rd); err != nil {
		return nil, err
	}
	return d.setRecording(c, &rd, true, now), nil
}
