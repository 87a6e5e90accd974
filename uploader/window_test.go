package uploader

import (
	"errors"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"01:00-05:00", "01:00-05:00", false},
		{" 22:30 - 02:15 ", "22:30-02:15", false},
		{"00:00-24:00", "00:00-24:00", false},
		{"1:00-5:00", "01:00-05:00", false},
		{"", "", true},
		{"01:00", "", true},
		{"25:00-01:00", "", true},
		{"01:60-02:00", "", true},
		{"ab:cd-01:00", "", true},
		{"24:30-01:00", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			w, err := ParseWindow(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrBadWindow) {
					t.Fatalf("ParseWindow(%q) = %v, %v; want ErrBadWindow", tc.in, w, err)
				}
				return
			}
			if err != nil || w.String() != tc.want {
				t.Fatalf("ParseWindow(%q) = %v, %v; want %s", tc.in, w, err, tc.want)
			}
		})
	}
}

// TestNextOpen proves R-V3: uploads at once, or only inside configured
// windows, several per day, overnight ones wrapping past midnight.
func TestNextOpen(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 11, 21, h, m, 0, 0, time.UTC) }
	next := func(h, m int) time.Time { return time.Date(2026, 11, 22, h, m, 0, 0, time.UTC) }
	ws := func(ss ...string) []Window {
		w, err := ParseWindows(ss)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, tc := range []struct {
		name string
		ws   []Window
		now  time.Time
		open bool
		at   time.Time
	}{
		{"R-V3 no windows: at once", nil, day(12, 0), true, day(12, 0)},
		{"R-V3 inside 01-05", ws("01:00-05:00"), day(3, 0), true, day(3, 0)},
		{"R-V3 before 01-05", ws("01:00-05:00"), day(0, 30), false, day(1, 0)},
		{"R-V3 after 01-05: tomorrow", ws("01:00-05:00"), day(9, 0), false, next(1, 0)},
		{"R-V3 end is exclusive", ws("01:00-05:00"), day(5, 0), false, next(1, 0)},
		{"R-V3 overnight, late", ws("22:00-02:00"), day(23, 0), true, day(23, 0)},
		{"R-V3 overnight, early", ws("22:00-02:00"), day(1, 59), true, day(1, 59)},
		{"R-V3 overnight, closed", ws("22:00-02:00"), day(12, 0), false, day(22, 0)},
		{"R-V3 several: the nearest", ws("01:00-05:00", "12:30-13:00"), day(9, 0), false, day(12, 30)},
		{"R-V3 several: second open", ws("01:00-05:00", "12:30-13:00"), day(12, 45), true, day(12, 45)},
		{"R-V3 all day", ws("00:00-00:00"), day(7, 0), true, day(7, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open, at := NextOpen(tc.ws, tc.now)
			if open != tc.open || !at.Equal(tc.at) {
				t.Fatalf("NextOpen(%v, %s) = %v, %s; want %v, %s", tc.ws, tc.now.Format("15:04"), open, at, tc.open, tc.at)
			}
		})
	}
}
