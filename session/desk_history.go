package session

// AttnRestarting is a desk-wide notice: the hub is restarting and the
// desktop reconnects to it (TypeRestarting).
const AttnRestarting = "restarting"

// applyRestarting turns the hub's restart notice into a notice for the
// agent; the link then drops and comes back by itself.
func (d *Desk) applyRestarting(e Envelope) ([]Notice, error) {
	var rd RestartingData
	if err := e.Decode(&rd); err != nil {
		return nil, err
	}
	if rd.Text == "" {
		rd.Text = "The hub is restarting; reconnecting"
	}
	return []Notice{{Reason: AttnRestarting, Text: rd.Text}}, nil
}

// applyHistory puts older sessions with the chat's contact above the ones
// the desk has (R-I2), once each.
func (d *Desk) applyHistory(e Envelope) ([]Notice, error) {
	c, err := d.chatOf(e)
	if err != nil {
		return nil, err
	}
	var hd HistoryData
	if err := e.Decode(&hd); err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, s := range c.History {
		have[s.Chat] = true
	}
	var older []Session
	for _, s := range hd.Sessions {
		if !have[s.Chat] {
			older = append(older, s)
		}
	}
	c.History = append(older, c.History...)
	c.HistoryMore = hd.More
	return nil, nil
}
