package control

import (
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/capture/webm"
)

// TestFitSubtitles_R_V4: a line stays until the next one, at most
// webm.SubtitleMax; with media the last lines end where the media ends,
// so the combined file is as long as what was captured.
func TestFitSubtitles_R_V4(t *testing.T) {
	s := time.Second
	cases := []struct {
		name string
		at   []time.Duration
		end  time.Duration
		want []time.Duration // durations, in time order
	}{
		{"transcript only: the last line 5 s", []time.Duration{0, 2 * s}, 0, []time.Duration{2 * s, webm.SubtitleMax}},
		{"media: the last line ends with it", []time.Duration{0, 2 * s}, 4 * s, []time.Duration{2 * s, 2 * s}},
		{"long gap: at most SubtitleMax", []time.Duration{0, 9 * s}, 10 * s, []time.Duration{webm.SubtitleMax, s}},
		{"unsorted lines", []time.Duration{3 * s, s}, 4 * s, []time.Duration{2 * s, s}},
		{"a line after the media's end: at its end, 1 ms", []time.Duration{0, 5 * s}, 4 * s, []time.Duration{4 * s, time.Millisecond}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var in []webm.Subtitle
			for _, at := range tc.at {
				in = append(in, webm.Subtitle{At: at, Text: "x"})
			}
			got := fitSubtitles(in, tc.end)
			for i, sub := range got {
				if sub.Duration != tc.want[i] {
					t.Fatalf("line %d at %s: %s, want %s", i, sub.At, sub.Duration, tc.want[i])
				}
			}
			last := got[len(got)-1]
			switch {
			case tc.end == 0:
			case tc.at[len(tc.at)-1] < tc.end && last.At+last.Duration != tc.end:
				t.Fatalf("the last line ends at %s, the media at %s", last.At+last.Duration, tc.end)
			case last.At > tc.end:
				t.Fatalf("the last line starts at %s, after the media's end %s", last.At, tc.end)
			}
		})
	}
}
