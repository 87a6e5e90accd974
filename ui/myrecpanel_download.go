package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"
)

// A download of My Recordings runs in a goroutine of its own; its progress
// and its end come back to the panel as messages through its channel.

// saving is a download in flight.
type saving struct {
	file        StoredFile
	dir         string
	done, total int64
	cancel      context.CancelFunc
	cancelled   bool
	ch          chan tea.Msg
	finished    chan struct{} // closed when Download returned (its partial file gone)
}

// waitSaving brings the next word of a download: progress or its end.
func waitSaving(ch chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

// download starts saving f into dir; its progress and end come back as
// messages through the saving's channel.
func (p *myRecPanel) download(f StoredFile, dir string) tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	s := &saving{file: f, dir: dir, total: -1, cancel: cancel, ch: make(chan tea.Msg, 1), finished: make(chan struct{})}
	p.saving, p.mode = s, recSaving
	src := p.src
	go func() {
		defer cancel()
		saved, err := src.Download(ctx, f, dir, func(done, total int64) {
			select { // the latest progress is enough: never wait for the screen
			case s.ch <- recProgressMsg{done: done, total: total}:
			default:
			}
		})
		close(s.finished)
		for { // the end must arrive: drop a progress the screen has not taken
			select {
			case s.ch <- recSavedMsg{saved: saved, err: err}:
				return
			default:
				select {
				case <-s.ch:
				default:
				}
			}
		}
	}()
	return waitSaving(s.ch)
}

// stopWait bounds how long quitting waits for a stopped download to
// remove its partial file.
const stopWait = 2 * time.Second

// stop cancels a download in flight and waits (off Update, bounded) for
// it to leave nothing behind; nil when none runs.
func (p *myRecPanel) stop() tea.Cmd {
	s := p.saving
	if s == nil {
		return nil
	}
	s.cancelled = true
	s.cancel()
	return func() tea.Msg {
		select {
		case <-s.finished:
		case <-time.After(stopWait):
		}
		return nil
	}
}

// openPlayer opens the recording's player in the browser, or says the
// address to copy.
func (p *myRecPanel) openPlayer(id string) tea.Cmd {
	if p.src == nil {
		return nil
	}
	u := p.src.PlayerURL(id)
	open := p.open
	if open == nil {
		return func() tea.Msg { return recOpenedMsg{url: u, err: ErrNoBrowser} }
	}
	p.say(false, "Opening the player in the browser…", u)
	return func() tea.Msg { return recOpenedMsg{url: u, err: open(u)} }
}
