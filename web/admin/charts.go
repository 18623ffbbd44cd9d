package admin

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// The dashboard's charts are SVG drawn here, on the server: no script, no
// external asset, the same in a browser, in a saved file and offline.

// bar is one bar of a chart.
type bar struct {
	Label string
	Value float64
	// Text is the value as printed on the bar ("3", "50%").
	Text string
}

// barChart draws bars side by side with their values and labels. Its
// accessible name (aria-label) says every value, for screen readers and
// tests alike.
func barChart(title string, bars []bar) template.HTML {
	const width, height, top, bottom, left = 640, 210, 30, 40, 10
	var b strings.Builder
	var names []string
	for _, x := range bars {
		names = append(names, fmt.Sprintf("%s: %s", x.Label, x.Text))
	}
	label := title
	if len(names) > 0 {
		label += ". " + strings.Join(names, ", ")
	}
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<text class="title" x="%d" y="14" aria-hidden="true">%s</text>`, left, template.HTMLEscapeString(title))
	peak := 0.0
	for _, x := range bars {
		peak = math.Max(peak, x.Value)
	}
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d">nothing to show</text></svg>`, left, height/2)
		return template.HTML(b.String())
	}
	slot := float64(width-2*left) / float64(len(bars))
	barWidth := math.Max(slot*0.7, 1)
	plot := float64(height - top - bottom)
	// Many bars (the days of a month): label every few, so labels do not
	// run into each other.
	every := max(1, int(math.Ceil(float64(len(bars))*40/float64(width-2*left))))
	for i, x := range bars {
		h := 0.0
		if peak > 0 {
			h = x.Value / peak * plot
		}
		bx := float64(left) + float64(i)*slot + (slot-barWidth)/2
		by := float64(top) + plot - h
		fmt.Fprintf(&b, `<g class="bar"><title>%s: %s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`,
			template.HTMLEscapeString(x.Label), template.HTMLEscapeString(x.Text), bx, by, barWidth, h)
		if x.Value > 0 || len(bars) <= 12 {
			fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, bx+barWidth/2, by-4, template.HTMLEscapeString(x.Text))
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, bx+barWidth/2, height-bottom+16, template.HTMLEscapeString(x.Label))
		}
		b.WriteString(`</g>`)
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/></svg>`, left, top+int(plot), width-left, top+int(plot))
	return template.HTML(b.String())
}
