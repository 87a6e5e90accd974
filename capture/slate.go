package capture

// glyph is the 5x7 bitmap of r in the slate's font: each row is 5 bits,
// most significant on the left; unknown runes are blank.
func glyph(r rune) [7]uint8 {
	switch r {
	case 'R':
		return [7]uint8{0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}
	case 'E':
		return [7]uint8{0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}
	case 'C':
		return [7]uint8{0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}
	case 'O':
		return [7]uint8{0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}
	case 'D':
		return [7]uint8{0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E}
	case 'I':
		return [7]uint8{0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}
	case 'N':
		return [7]uint8{0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11}
	case 'G':
		return [7]uint8{0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}
	case 'P':
		return [7]uint8{0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}
	case 'A':
		return [7]uint8{0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}
	case 'U':
		return [7]uint8{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}
	case 'S':
		return [7]uint8{0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}
	}
	return [7]uint8{}
}

// SlateText is the words on the slate.
const SlateText = "RECORDING PAUSED"

// drawText paints s in the 5x7 font with each dot a px x px square, the
// text's top-left corner at (x, y), in an RGB colour. Unknown runes are
// blank.
func drawText(f *Frame, s string, x, y, px int, r, g, b uint8) {
	for _, c := range s {
		rows := glyph(c)
		for row, bits := range rows {
			for col := range 5 {
				if bits&(0x10>>col) != 0 {
					f.FillRect(x+col*px, y+row*px, px, px, r, g, b)
				}
			}
		}
		x += 6 * px
	}
}

// slateWords paints SlateText centred in the lower third of the slate.
func slateWords(f *Frame) {
	n := len(SlateText)
	px := max(f.Width/(6*n+2)&^1, 2)
	if 7*px > f.Height/4 {
		px = max(f.Height/28&^1, 1)
	}
	x := (f.Width - 6*n*px) / 2 &^ 1
	y := (f.Height*5/6 - 7*px/2) &^ 1
	drawText(f, SlateText, x, y, px, 200, 200, 200)
}
