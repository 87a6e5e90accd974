package capture_test

import (
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/capture"
)

// The slate a reviewer sees while scrubbing: grey, an orange band, the
// pause bars, and the words in the lower third (R-G5).
func TestSlate(t *testing.T) {
	for _, size := range [][2]int{{320, 240}, {1280, 720}, {64, 48}, {2, 2}} {
		f := capture.NewFrame(size[0], size[1])
		capture.DrawSlate(f)
		w, h := size[0], size[1]
		y := func(x, yy int) byte { return f.Y[yy*w+x] }
		grey, _, _ := capture.YUV(capture.SlateColour()[0], capture.SlateColour()[1], capture.SlateColour()[2])
		band, _, _ := capture.YUV(capture.SlateBand()[0], capture.SlateBand()[1], capture.SlateBand()[2])
		if w < 16 {
			continue // too small for anything but not to panic
		}
		if y(w/2, h/2) != band || y(2, 2) != grey || y(2, h/2) != band {
			t.Errorf("%dx%d: centre %d corner %d, want band %d grey %d", w, h, y(w/2, h/2), y(2, 2), band, grey)
		}
		// The words: light dots in the lower third.
		var lit int
		for yy := h * 2 / 3; yy < h; yy++ {
			for x := 0; x < w; x++ {
				if y(x, yy) > 150 {
					lit++
				}
			}
		}
		if lit == 0 {
			t.Errorf("%dx%d: no words on the slate", w, h)
		}
	}
	if !strings.Contains(capture.SlateText, "PAUSED") {
		t.Fatal(capture.SlateText)
	}
}
