package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// styles is every look of the desktop, in one place. Colours are ANSI
// 256-colour indexes, so they survive a 256-colour terminal unchanged.
type styles struct {
	Title, TitleDim         lipgloss.Style
	Ready, NotReady         lipgloss.Style
	LinkUp, LinkDown        lipgloss.Style
	Button, ButtonOff       lipgloss.Style
	Hint                    lipgloss.Style
	PaneTitle, PaneTitleOn  lipgloss.Style
	Row, RowSel, RowSelOff  lipgloss.Style
	Green, Yellow, Red, Off lipgloss.Style
	State                   lipgloss.Style
	Unread                  lipgloss.Style
	Divider                 lipgloss.Style
	Time, Customer, Agent   lipgloss.Style
	System                  lipgloss.Style
	URL                     lipgloss.Style
	Typing                  lipgloss.Style
	Attention, Error        lipgloss.Style
	Label, Value, Selected  lipgloss.Style
	Status, StatusErr       lipgloss.Style
	HelpKey, HelpDesc       lipgloss.Style
	Box                     lipgloss.Style
	Sep                     lipgloss.Style
	Rec, RecPaused          lipgloss.Style // recording: own or automatic; paused
	RecSup, RecInfo         lipgloss.Style // someone else records (R-C8); consent, abusive, deletion
	Confirm                 lipgloss.Style // a y/n question on the status line
}

func newStyles() styles {
	c := func(n uint8) color.Color { return lipgloss.ANSIColor(n) }
	s := lipgloss.NewStyle
	return styles{
		Title:       s().Bold(true).Foreground(c(231)).Background(c(24)),
		TitleDim:    s().Foreground(c(252)).Background(c(24)),
		Ready:       s().Bold(true).Foreground(c(16)).Background(c(41)),
		NotReady:    s().Bold(true).Foreground(c(231)).Background(c(160)),
		LinkUp:      s().Foreground(c(120)).Background(c(24)),
		LinkDown:    s().Bold(true).Foreground(c(16)).Background(c(214)),
		Button:      s().Bold(true).Foreground(c(231)).Background(c(31)),
		ButtonOff:   s().Foreground(c(244)).Background(c(236)),
		Hint:        s().Foreground(c(244)).Italic(true),
		PaneTitle:   s().Bold(true).Foreground(c(250)),
		PaneTitleOn: s().Bold(true).Foreground(c(81)).Underline(true),
		Row:         s(),
		RowSel:      s().Bold(true).Background(c(238)),
		RowSelOff:   s().Background(c(236)),
		Green:       s().Foreground(c(40)),
		Yellow:      s().Foreground(c(220)),
		Red:         s().Bold(true).Foreground(c(196)),
		Off:         s().Foreground(c(240)),
		State:       s().Foreground(c(110)),
		Unread:      s().Bold(true).Foreground(c(16)).Background(c(81)),
		Divider:     s().Foreground(c(242)),
		Time:        s().Foreground(c(244)),
		Customer:    s().Bold(true).Foreground(c(117)),
		Agent:       s().Bold(true).Foreground(c(150)),
		System:      s().Foreground(c(242)).Italic(true),
		URL:         s().Foreground(c(75)).Underline(true),
		Typing:      s().Foreground(c(180)).Italic(true),
		Attention:   s().Bold(true).Foreground(c(214)),
		Error:       s().Bold(true).Foreground(c(203)),
		Label:       s().Bold(true).Foreground(c(250)),
		Value:       s().Foreground(c(255)),
		Selected:    s().Bold(true).Foreground(c(16)).Background(c(117)),
		Status:      s().Foreground(c(250)).Background(c(236)),
		StatusErr:   s().Bold(true).Foreground(c(231)).Background(c(124)),
		HelpKey:     s().Bold(true).Foreground(c(117)),
		HelpDesc:    s().Foreground(c(250)),
		Box:         s().Border(lipgloss.RoundedBorder()).BorderForeground(c(81)).Padding(0, 1),
		Sep:         s().Foreground(c(238)),
		Rec:         s().Bold(true).Foreground(c(196)),
		RecPaused:   s().Bold(true).Foreground(c(220)),
		RecSup:      s().Bold(true).Foreground(c(177)),
		RecInfo:     s().Foreground(c(250)),
		Confirm:     s().Bold(true).Foreground(c(16)).Background(c(214)),
	}
}
