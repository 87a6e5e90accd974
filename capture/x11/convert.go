package x11

import (
	"encoding/binary"

	"github.com/agentdesk/agentdesk/capture"
)

// BT.601 limited range in 8-bit fixed point:
//
//	Y = ( 66R + 129G +  25B + 128) >> 8 + 16
//	U = (-38R -  74G + 112B + 128) >> 8 + 128
//	V = (112R -  94G -  18B + 128) >> 8 + 128
//
// Chroma is taken from the sum of a 2x2 block (>> 10 instead of >> 8).

func lumaOf(r, g, b int32) byte { return byte((66*r+129*g+25*b+128)>>8 + 16) }

// chromaOf takes the sums of r, g and b over four pixels.
func chromaOf(r4, g4, b4 int32) (u, v byte) {
	return byte((-38*r4-74*g4+112*b4+512)>>10 + 128), byte((112*r4-94*g4-18*b4+512)>>10 + 128)
}

// ConvertBGRA converts a BGRX picture (4 bytes a pixel, stride bytes a
// row, as X gives it) of dst.Width*scale x dst.Height*scale pixels into
// dst's I420 planes, each output pixel the average of a scale x scale box.
// dst's Width and Height must be even. It allocates nothing.
func ConvertBGRA(dst *capture.Frame, src []byte, stride, scale int) {
	convertRect(dst, src, stride, scale, 0, dst.Height, 0, dst.Width)
}

// convertRect converts output rows [y0, y1) and columns [x0, x1), y0 and
// x0 even, x1 even or dst.Width. What it writes is what a whole conversion
// writes there: every 2x2 output block depends on its own source pixels
// only.
func convertRect(dst *capture.Frame, src []byte, stride, scale, y0, y1, x0, x1 int) {
	switch {
	case scale <= 1:
		convert1(dst, src, stride, y0, y1, x0, x1)
	case scale == 2:
		convert2(dst, src, stride, y0, y1, x0, x1)
	default:
		convertBox(dst, src, stride, scale, y0, y1, x0, x1)
	}
}

// convert1 is the full-size path: every 2x2 block of source pixels gives
// four Y samples and one U and V. The block is loaded as two uint64 and
// its channels spread into the four 16-bit lanes of one uint64 each
// (SWAR): the four lumas take three multiplications (220*255+128 fits a
// lane), each channel's sum over the block one.
func convert1(dst *capture.Frame, src []byte, stride, from, to, x0, x1 int) {
	const (
		m8    = 0x000000ff000000ff
		m16   = 0x00ff00ff00ff00ff
		ones  = 0x0001000100010001
		round = 128 * ones
	)
	w := dst.Width
	cw := w / 2
	le := binary.LittleEndian
	c0, c1 := x0/2, x1/2
	for y := from; y+1 < to; y += 2 {
		r0 := src[y*stride+c0*8 : y*stride+c1*8]
		r1 := src[(y+1)*stride+c0*8 : (y+1)*stride+c1*8]
		y0 := dst.Y[y*w+c0*2 : y*w+c1*2]
		y1 := dst.Y[(y+1)*w+c0*2 : (y+1)*w+c1*2]
		u := dst.U[y/2*cw+c0 : y/2*cw+c1]
		v := dst.V[y/2*cw+c0 : y/2*cw+c1]
		for x := range u {
			a := le.Uint64(r0[x*8:])
			c := le.Uint64(r1[x*8:])
			// Lanes: 0 and 2 the upper row's pixels, 1 and 3 the lower's.
			b := a&m8 | (c&m8)<<16
			g := a>>8&m8 | (c>>8&m8)<<16
			r := a>>16&m8 | (c>>16&m8)<<16
			l := (66*r + 129*g + 25*b + round) >> 8 & m16
			yy0 := y0[2*x : 2*x+2 : 2*x+2]
			yy1 := y1[2*x : 2*x+2 : 2*x+2]
			yy0[0], yy0[1] = byte(l)+16, byte(l>>32)+16
			yy1[0], yy1[1] = byte(l>>16)+16, byte(l>>48)+16
			u[x], v[x] = chromaOf(int32(r*ones>>48), int32(g*ones>>48), int32(b*ones>>48))
		}
	}
}

// convert2 is the half-size path: an output pixel's 2x2 source box is one
// uint64 from each of two rows, summed lane-wise.
func convert2(dst *capture.Frame, src []byte, stride, from, to, x0, x1 int) {
	const lanes = 0x000000ff000000ff
	w := dst.Width
	cw := w / 2
	le := binary.LittleEndian
	avg := func(p, q uint64) (r, g, b int32) {
		bs, gs, rs := p&lanes+q&lanes, p>>8&lanes+q>>8&lanes, p>>16&lanes+q>>16&lanes
		return int32((rs+rs>>32)&0x3ff+2) >> 2, int32((gs+gs>>32)&0x3ff+2) >> 2, int32((bs+bs>>32)&0x3ff+2) >> 2
	}
	c0, c1 := x0/2, x1/2
	for y := from; y+1 < to; y += 2 {
		var s [4][]byte
		for k := range s {
			s[k] = src[(2*y+k)*stride+c0*16 : (2*y+k)*stride+c1*16]
		}
		y0 := dst.Y[y*w+c0*2 : y*w+c1*2]
		y1 := dst.Y[(y+1)*w+c0*2 : (y+1)*w+c1*2]
		u := dst.U[y/2*cw+c0 : y/2*cw+c1]
		v := dst.V[y/2*cw+c0 : y/2*cw+c1]
		for x := range u {
			o := x * 16
			ra, ga, ba := avg(le.Uint64(s[0][o:]), le.Uint64(s[1][o:]))
			rb, gb, bb := avg(le.Uint64(s[0][o+8:]), le.Uint64(s[1][o+8:]))
			rc, gc, bc := avg(le.Uint64(s[2][o:]), le.Uint64(s[3][o:]))
			rd, gd, bd := avg(le.Uint64(s[2][o+8:]), le.Uint64(s[3][o+8:]))
			y0[2*x], y0[2*x+1] = lumaOf(ra, ga, ba), lumaOf(rb, gb, bb)
			y1[2*x], y1[2*x+1] = lumaOf(rc, gc, bc), lumaOf(rd, gd, bd)
			u[x], v[x] = chromaOf(ra+rb+rc+rd, ga+gb+gc+gd, ba+bb+bc+bd)
		}
	}
}

// convertBox is the scaled path: each output pixel averages s x s source
// pixels (a box filter), then as convert1.
func convertBox(dst *capture.Frame, src []byte, stride, s, from, to, x0, x1 int) {
	w := dst.Width
	cw := w / 2
	n := int32(s * s)
	var r, g, b [4]int32
	for y := from; y+1 < to; y += 2 {
		for x := x0; x+1 < x1; x += 2 {
			for k := 0; k < 4; k++ {
				ox, oy := x+k&1, y+k>>1
				var sr, sg, sb int32
				for yy := oy * s; yy < oy*s+s; yy++ {
					row := src[yy*stride+ox*s*4 : yy*stride+(ox+1)*s*4]
					for i := 0; i+3 < len(row); i += 4 {
						sb += int32(row[i])
						sg += int32(row[i+1])
						sr += int32(row[i+2])
					}
				}
				r[k], g[k], b[k] = (sr+n/2)/n, (sg+n/2)/n, (sb+n/2)/n
			}
			dst.Y[y*w+x] = lumaOf(r[0], g[0], b[0])
			dst.Y[y*w+x+1] = lumaOf(r[1], g[1], b[1])
			dst.Y[(y+1)*w+x] = lumaOf(r[2], g[2], b[2])
			dst.Y[(y+1)*w+x+1] = lumaOf(r[3], g[3], b[3])
			c := y/2*cw + x/2
			dst.U[c], dst.V[c] = chromaOf(r[0]+r[1]+r[2]+r[3], g[0]+g[1]+g[2]+g[3], b[0]+b[1]+b[2]+b[3])
		}
	}
}

// RGB converts one I420 sample back to 8-bit RGB (BT.601 limited range),
// for tests and checks.
func RGB(y, u, v byte) (r, g, b byte) {
	c := int32(y) - 16
	d := int32(u) - 128
	e := int32(v) - 128
	clamp := func(x int32) byte {
		x = (x + 128) >> 8
		if x < 0 {
			return 0
		}
		if x > 255 {
			return 255
		}
		return byte(x)
	}
	return clamp(298*c + 409*e), clamp(298*c - 100*d - 208*e), clamp(298*c + 516*d)
}
