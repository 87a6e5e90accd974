package capture

import (
	"fmt"
	"strings"
	"testing"
)

// desktopMinute is a simulated minute of the text desktop at 100x30 as
// the desktop renders it: a frame every 250 ms (its tick), the timers in
// the list and the header changing every second, a transcript line every
// 3 s scrolling the 20-line pane, styled like the desktop (SGR colours).
func desktopMinute() []string {
	const cols, rows = 100, 30
	var frames []string
	var transcript []string
	for tick := range 240 {
		sec := tick / 4
		if tick%12 == 0 {
			transcript = append(transcript, fmt.Sprintf("\x1b[38;5;244m06:%02d\x1b[0m \x1b[1mBob Smith:\x1b[0m question number %d about my order", sec, len(transcript)))
		}
		lines := make([]string, rows)
		lines[0] = fmt.Sprintf("\x1b[7m agentdesk │ Ada Lovelace  Ready  ● Connected %58s\x1b[0m", "")
		lines[1] = "[a Accept] [x Reject] [e End] [u Push URL] [r Stop] [s Snip] [p Pause] [d Mark Done]"
		lines[4] = fmt.Sprintf("\x1b[31m● REC %02d:%02d\x1b[0m Record · SCR MIC · awaiting reply 00:%02d", sec/60, sec%60, sec%3)
		for i := 5; i < rows-2; i++ {
			k := len(transcript) - (rows - 2 - i)
			left := fmt.Sprintf("◆ Customer %-2d  Alerting  00:%02d", i, sec%60)
			right := ""
			if k >= 0 {
				right = transcript[k]
			}
			lines[i] = left + strings.Repeat(" ", 8) + "│ " + right
		}
		lines[rows-1] = "? help · tab focus · a accept · x reject · e end · u push URL · d done · y ready · q quit"
		frames = append(frames, strings.Join(lines, "\n"))
	}
	return frames
}

// BenchmarkTerminalDesktopMinute is the text desktop's track for one
// recorded minute (issue 17 point 4): the CPU of turning 240 rendered
// frames into terminal output, and its bytes per recorded minute.
func BenchmarkTerminalDesktopMinute(b *testing.B) {
	frames := desktopMinute()
	var n int
	for b.Loop() {
		var s termScreen
		n = 0
		for _, f := range frames {
			for _, e := range s.frame(f, 100, 30) {
				n += len(e)
			}
		}
	}
	b.ReportMetric(float64(n), "bytes/min")
}
