package publish

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image"
	"image/color"
	"image/png"
)

// faviconURLs draws a small dot in each banner colour, as data: URLs so
// the browser never asks for /favicon.ico (or anything else).
func faviconURLs() map[string]template.URL {
	colours := map[string]color.RGBA{
		"ind-none":        {0x1a, 0x7f, 0x37, 0xff},
		"ind-minor":       {0x9a, 0x67, 0x00, 0xff},
		"ind-major":       {0xbc, 0x4c, 0x00, 0xff},
		"ind-critical":    {0xb6, 0x23, 0x24, 0xff},
		"ind-maintenance": {0x0b, 0x5c, 0xad, 0xff},
		"ind-blind":       {0x57, 0x60, 0x6a, 0xff},
		"ind-nodata":      {0x57, 0x60, 0x6a, 0xff},
	}
	out := make(map[string]template.URL, len(colours))
	for class, c := range colours {
		out[class] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(dotPNG(c))) // generated here
	}
	return out
}

// dotPNG is a 32×32 filled circle with a soft edge.
func dotPNG(c color.RGBA) []byte {
	const size, r = 32, 14.0
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			dx, dy := float64(x)-15.5, float64(y)-15.5
			d := dx*dx + dy*dy
			alpha := 0.0
			switch {
			case d <= (r-1)*(r-1):
				alpha = 1
			case d <= r*r:
				alpha = 0.5
			}
			img.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(alpha * 255)})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // writing to memory cannot fail
	return buf.Bytes()
}
