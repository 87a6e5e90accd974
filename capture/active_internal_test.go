package capture

import (
	"image"
	"slices"
	"testing"
	"time"
)

type changedScreen struct{ rects []image.Rectangle }

func (s changedScreen) Size() (int, int)          { return 64, 48 }
func (s changedScreen) Grab(*Frame) (bool, error) { return true, nil }
func (s changedScreen) Close() error              { return nil }
func (s changedScreen) Changed(dst []image.Rectangle) []image.Rectangle {
	return append(dst, s.rects...)
}

type activeEncoder struct{ maps [][]byte }

func (e *activeEncoder) Encode(*Frame, time.Duration, bool) ([]Packet, error) { return nil, nil }
func (e *activeEncoder) Close() error                                         { return nil }
func (e *activeEncoder) SetActive(a []byte) error {
	e.maps = append(e.maps, slices.Clone(a))
	return nil
}

// Issue 17 point 3: the encoder is told which macroblocks changed, from
// the rectangles the screen reports (edges rounded out to whole 16x16
// blocks), and nothing else.
func TestActiveMapFromTheChangedRectangles(t *testing.T) {
	enc := &activeEncoder{}
	r := &Recording{src: Sources{Screen: changedScreen{[]image.Rectangle{image.Rect(0, 0, 8, 8), image.Rect(20, 30, 40, 34)}}},
		enc: Encoders{Video: enc}}
	v := &video{frame: NewFrame(64, 48)}
	r.setActive(v)
	r.setActive(v)
	want := []byte{ // 4 columns, 3 rows of macroblocks
		1, 0, 0, 0,
		0, 1, 1, 0,
		0, 1, 1, 0,
	}
	if len(enc.maps) != 2 || !slices.Equal(enc.maps[0], want) || !slices.Equal(enc.maps[1], want) {
		t.Errorf("active maps %v, want %v twice", enc.maps, want)
	}
	// A screen that does not say what changed: no map.
	enc2 := &activeEncoder{}
	r2 := &Recording{src: Sources{Screen: struct{ Screen }{changedScreen{}}}, enc: Encoders{Video: enc2}}
	r2.setActive(&video{frame: NewFrame(64, 48)})
	if len(enc2.maps) != 0 {
		t.Errorf("a map set without a ChangeReporter: %v", enc2.maps)
	}
}
