package capture

// YUV converts an RGB colour to BT.601 limited-range Y, U, V (the Frame's
// colour space).
func YUV(r, g, b uint8) (y, u, v uint8) {
	R, G, B := int(r), int(g), int(b)
	y = uint8((66*R+129*G+25*B+128)>>8 + 16)
	u = uint8((-38*R-74*G+112*B+128)>>8 + 128)
	v = uint8((112*R-94*G-18*B+128)>>8 + 128)
	return y, u, v
}

// FillRect paints the rectangle at (x, y) of w x h in an RGB colour,
// clipped to the frame. It does not allocate. Chroma is painted for the
// 2x2 blocks whose top-left pixel is inside the rectangle, so keep
// rectangles on even coordinates for crisp edges.
func (f *Frame) FillRect(x, y, w, h int, r, g, b uint8) {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+w, f.Width), min(y+h, f.Height)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	Y, U, V := YUV(r, g, b)
	for row := y0; row < y1; row++ {
		line := f.Y[row*f.Width+x0 : row*f.Width+x1]
		for i := range line {
			line[i] = Y
		}
	}
	cw := (f.Width + 1) / 2
	for row := (y0 + 1) / 2; row < (y1+1)/2; row++ {
		for col := (x0 + 1) / 2; col < (x1+1)/2; col++ {
			f.U[row*cw+col] = U
			f.V[row*cw+col] = V
		}
	}
}
