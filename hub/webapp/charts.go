package webapp

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// chart is an inline SVG plot and the same numbers as a table.
type chart struct {
	ID, Title, Desc string
	W, H            float64
	Rects           []rect
	Line            string // polyline points
	Area            string
	Dots            []rect
	XLabels         []label
	YTicks          []label
	Legend          []legendItem
	Head            []string
	Rows            [][]string
	Empty           string // said instead of the plot when there is nothing
}

type rect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type label struct {
	X, Y float64
	Text string
}

type legendItem struct{ Class, Text string }

const (
	chartW, chartH                   = 760.0, 240.0
	padL, padR, padT, padB           = 72.0, 12.0, 12.0, 30.0
	plotW, plotH                     = chartW - padL - padR, chartH - padT - padB
	maxSeries                        = 7
	dashboardDays                    = 14
	otherSeries                      = "other"
	seriesClasses                    = 8
	backlogRowH, backlogBarMaxW      = 34.0, 500.0
	backlogLabelW, backlogW          = 140.0, 1000.0
	dayLabelEvery, dayLabelEveryWide = 1, 2
)

// niceMax is the top of a y axis over m: yTicks steps of 1, 2 or 5
// times a power of ten (of unit: 1, or 1024^k for bytes).
func niceMax(m, unit float64) float64 {
	if m <= 0 {
		return yTicks * unit
	}
	step := m / unit / yTicks
	if unit == 1 && step < 1 { // counts: whole steps
		return yTicks
	}
	p := math.Pow(10, math.Floor(math.Log10(step)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*p >= step {
			return f * p * yTicks * unit
		}
	}
	return 10 * p * yTicks * unit
}

// byteUnit is the binary unit in which m is written (KiB, MiB, ...).
func byteUnit(m int64) float64 {
	u := 1.0
	for float64(m) >= 1024*u && u < 1<<40 {
		u *= 1024
	}
	return u
}

// age says how long ago, in words.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}

// frame is a chart's axes: day labels under the columns and y ticks.
func frame(c *chart, days []DayStats, top float64, fmtY func(float64) string) float64 {
	c.W, c.H = chartW, chartH
	for i := 0; i <= yTicks; i++ {
		v := top * float64(i) / yTicks
		c.YTicks = append(c.YTicks, label{X: padL - 6, Y: padT + plotH - plotH*float64(i)/yTicks, Text: fmtY(v)})
	}
	step := plotW / float64(max(len(days), 1))
	every := dayLabelEvery
	if len(days) > 10 {
		every = dayLabelEveryWide
	}
	for i, d := range days {
		if (len(days)-1-i)%every == 0 {
			c.XLabels = append(c.XLabels, label{X: padL + step*(float64(i)+0.5), Y: chartH - 10, Text: d.Day.Format("Jan 2")})
		}
	}
	return step
}

// stacked is a stacked bar chart of per-day counts by series (the
// largest few series, the rest as "other").
func stacked(id, title string, days []DayStats, of func(DayStats) map[string]int, name func(string) string) chart {
	c := chart{ID: id, Title: title}
	totals := map[string]int{}
	top := 0
	for _, d := range days {
		sum := 0
		for k, n := range of(d) {
			totals[k] += n
			sum += n
		}
		top = max(top, sum)
	}
	series := make([]string, 0, len(totals))
	for k := range totals {
		series = append(series, k)
	}
	slices.SortFunc(series, func(a, b string) int {
		if totals[a] != totals[b] {
			return totals[b] - totals[a]
		}
		return strings.Compare(a, b)
	})
	other := false
	if len(series) > maxSeries {
		series, other = series[:maxSeries-1], true
	}
	classOf := map[string]string{}
	for i, s := range series {
		classOf[s] = "s" + strconv.Itoa(i%seriesClasses)
		c.Legend = append(c.Legend, legendItem{Class: classOf[s], Text: fmt.Sprintf("%s (%d)", name(s), totals[s])})
	}
	if other {
		c.Legend = append(c.Legend, legendItem{Class: "s7", Text: "Other"})
	}
	if top == 0 {
		c.Empty = "No recordings in these days."
	}
	ymax := niceMax(float64(top), 1)
	step := frame(&c, days, ymax, func(v float64) string { return strconv.Itoa(int(v)) })
	c.Head = append([]string{"Day"}, names(series, name)...)
	if other {
		c.Head = append(c.Head, "Other")
	}
	c.Head = append(c.Head, "Total")
	for i, d := range days {
		counts := of(d)
		y := padT + plotH
		row := []string{d.Day.Format("2006-01-02")}
		sum, rest := 0, 0
		for k, n := range counts {
			if _, ok := classOf[k]; !ok {
				rest += n
			}
		}
		stack := func(n int, class, what string) {
			if n == 0 {
				return
			}
			h := plotH * float64(n) / ymax
			y -= h
			c.Rects = append(c.Rects, rect{X: padL + step*float64(i) + step*0.15, Y: y, W: step * 0.7, H: h, Class: class,
				Title: fmt.Sprintf("%s, %s: %d", d.Day.Format("Jan 2"), what, n)})
		}
		for _, s := range series {
			stack(counts[s], classOf[s], name(s))
			row = append(row, strconv.Itoa(counts[s]))
			sum += counts[s]
		}
		if other {
			stack(rest, "s7", "other")
			row = append(row, strconv.Itoa(rest))
			sum += rest
		}
		c.Rows = append(c.Rows, append(row, strconv.Itoa(sum)))
	}
	c.Desc = fmt.Sprintf("Stacked bars, one per day from %s to %s.", dayOf(days, 0), dayOf(days, len(days)-1))
	return c
}

func names(ss []string, name func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = name(s)
	}
	return out
}

func dayOf(days []DayStats, i int) string {
	if i < 0 || i >= len(days) {
		return "-"
	}
	return days[i].Day.Format("2006-01-02")
}

// storage is a line of the bytes stored at the end of each day, the area
// under it shaded.
func storage(days []DayStats) chart {
	c := chart{ID: "storage", Title: "Storage used", Head: []string{"Day", "Stored", "Growth"}}
	var top int64
	for _, d := range days {
		top = max(top, d.Stored)
	}
	ymax := niceMax(float64(top), byteUnit(top))
	step := frame(&c, days, ymax, func(v float64) string { return fmtBytes(int64(v)) })
	var pts []string
	var prev int64
	for i, d := range days {
		x := padL + step*(float64(i)+0.5)
		y := padT + plotH - plotH*float64(d.Stored)/ymax
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		c.Dots = append(c.Dots, rect{X: x, Y: y, Class: "dot", Title: fmt.Sprintf("%s: %s", d.Day.Format("Jan 2"), fmtBytes(d.Stored))})
		growth := d.Stored - prev
		if i == 0 {
			growth = 0
		}
		c.Rows = append(c.Rows, []string{d.Day.Format("2006-01-02"), fmtBytes(d.Stored), "+" + fmtBytes(max(growth, 0))})
		prev = d.Stored
	}
	if len(pts) > 0 {
		c.Line = strings.Join(pts, " ")
		first := padL + step*0.5
		last := padL + step*(float64(len(days))-0.5)
		c.Area = fmt.Sprintf("%.1f,%.1f %s %.1f,%.1f", first, padT+plotH, c.Line, last, padT+plotH)
	}
	if top == 0 {
		c.Empty = "Nothing stored yet."
	}
	if n := len(days); n > 1 {
		c.Desc = fmt.Sprintf("Bytes stored, from %s on %s to %s on %s.", fmtBytes(days[0].Stored), dayOf(days, 0), fmtBytes(days[n-1].Stored), dayOf(days, n-1))
	}
	c.Legend = []legendItem{{Class: "s0", Text: "Stored at the end of the day"}}
	return c
}

// coverage draws, per day, the chats that had to be recorded (a pale
// bar) and those with a recording stored (a solid one inside it); a
// missing one is red (R-V10).
func coverage(days []DayStats) chart {
	c := chart{ID: "coverage", Title: "Coverage (R-V10): had to be recorded, and stored",
		Head: []string{"Day", "Had to be recorded", "Stored", "Missing"}}
	top := 0
	for _, d := range days {
		top = max(top, d.MustRecord)
	}
	ymax := niceMax(float64(top), 1)
	step := frame(&c, days, ymax, func(v float64) string { return strconv.Itoa(int(v)) })
	for i, d := range days {
		x := padL + step*float64(i) + step*0.15
		h := plotH * float64(d.MustRecord) / ymax
		miss := d.MustRecord - d.Recorded
		if d.MustRecord > 0 {
			c.Rects = append(c.Rects, rect{X: x, Y: padT + plotH - h, W: step * 0.7, H: h, Class: "must",
				Title: fmt.Sprintf("%s: %d had to be recorded", d.Day.Format("Jan 2"), d.MustRecord)})
		}
		if d.Recorded > 0 {
			hr := plotH * float64(d.Recorded) / ymax
			c.Rects = append(c.Rects, rect{X: x + step*0.1, Y: padT + plotH - hr, W: step * 0.5, H: hr, Class: "ok",
				Title: fmt.Sprintf("%s: %d stored", d.Day.Format("Jan 2"), d.Recorded)})
		}
		if miss > 0 {
			c.Dots = append(c.Dots, rect{X: x + step*0.35, Y: padT + plotH - h - 8, Class: "miss",
				Title: fmt.Sprintf("%s: %d missing", d.Day.Format("Jan 2"), miss)})
		}
		c.Rows = append(c.Rows, []string{d.Day.Format("2006-01-02"), strconv.Itoa(d.MustRecord), strconv.Itoa(d.Recorded), strconv.Itoa(miss)})
	}
	if top == 0 {
		c.Empty = "No chat had to be recorded in these days."
	}
	c.Legend = []legendItem{{Class: "must", Text: "Had to be recorded"}, {Class: "ok", Text: "Recording stored"}, {Class: "miss", Text: "Missing"}}
	c.Desc = "For each day, a pale bar of the chats that had to be recorded and a solid bar of those stored; a red mark over a day with a gap."
	return c
}

// backlog is a horizontal bar per desktop: its unfinished uploads, the
// bar's length their count, the label their oldest's age.
func backlog(bs []Backlog, now time.Time) chart {
	c := chart{ID: "backlog", Title: "Upload backlog per desktop", Head: []string{"Desktop", "Uploads", "Size", "Oldest started"}}
	slices.SortFunc(bs, func(a, b Backlog) int { return a.Oldest.Compare(b.Oldest) })
	top := 0
	for _, b := range bs {
		top = max(top, b.Uploads)
	}
	c.W, c.H = backlogW, backlogRowH*float64(max(len(bs), 1))+8
	for i, b := range bs {
		y := 4 + backlogRowH*float64(i)
		w := backlogBarMaxW * float64(b.Uploads) / float64(max(top, 1))
		old := now.Sub(b.Oldest)
		class := "s0"
		if old > 24*time.Hour {
			class = "late"
		}
		c.YTicks = append(c.YTicks, label{X: backlogLabelW - 8, Y: y + backlogRowH/2, Text: b.Desktop})
		c.Rects = append(c.Rects, rect{X: backlogLabelW, Y: y + 4, W: max(w, 2), H: backlogRowH - 8, Class: class,
			Title: fmt.Sprintf("%s: %s, the oldest started %s ago", b.Desktop, plural(b.Uploads, "upload"), age(old))})
		c.XLabels = append(c.XLabels, label{X: backlogLabelW + max(w, 2) + 8, Y: y + backlogRowH/2,
			Text: fmt.Sprintf("%s · %s · oldest %s ago", plural(b.Uploads, "upload"), fmtBytes(b.Bytes), age(old))})
		c.Rows = append(c.Rows, []string{b.Desktop, strconv.Itoa(b.Uploads), fmtBytes(b.Bytes), b.Oldest.UTC().Format("2006-01-02 15:04")})
	}
	if len(bs) == 0 {
		c.Empty = "No upload is waiting: every desktop has sent what it recorded."
	}
	c.Legend = []legendItem{{Class: "s0", Text: "Waiting"}, {Class: "late", Text: "Oldest waiting over a day"}}
	c.Desc = "One bar per desktop: the number of uploads started and not finished, with the age of the oldest."
	return c
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
