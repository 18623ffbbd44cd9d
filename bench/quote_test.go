package bench

// Quote stripping (mailin.StripQuoted, mailin.StripQuotedHTML) on 5 MB
// bodies: a long thread of realistic replies, and shapes built to make a
// careless stripper slow (one 5 MB line, every line a candidate
// attribution or header block, deep quotes, deeply nested or unclosed
// HTML). Each must take well under a second, and time must grow linearly.
//
//	go test -run '^$' -bench StripQuoted -benchtime 5x ./bench/

import (
	"fmt"
	"strings"
	"testing"

	"helpdesk/mailin"
)

// fiveMB repeats unit to at least 5 MiB.
func fiveMB(unit string) string {
	return strings.Repeat(unit, 5<<20/len(unit)+1)
}

func quoteInputs() []struct{ name, text string } {
	reply := "Hi Carla,\n\nthe export limit is fixed in 2.4.1.\n\nAnn\n\n" +
		"On Mon, Jan 6, 2025 at 10:02 AM Help Desk <\nsupport+1042-k3j2h4g5abcd@helpdesk.example> wrote:\n\n" +
		"> Which version fixes it?\n>\n> > On Sun, Jan 5, 2025 at 9:00 PM Carla <carla@customer.example> wrote:\n> > > The export stops at row 65536.\n\n" +
		"2.4.1, released today.\n\n> And the Notes column?\n\nKept.\n\n"
	return []struct{ name, text string }{
		{"thread of inline replies", fiveMB(reply)},
		{"one line", fiveMB("On Mon wrote a@b.c 10:02 From: ")},
		{"one line ending in a colon", fiveMB("On Mon, 6 Jan 2025 ")[:5<<20] + "wrote:"},
		{"every line a colon line", fiveMB("Help Desk said something at some length here:\n")},
		{"every line a From line", fiveMB("From: Help Desk <support@helpdesk.example>\n")},
		{"every line a rule", fiveMB("______________________________\n\n")},
		{"deep quotes", fiveMB(strings.Repeat(">", 200) + " text\n")},
	}
}

func BenchmarkStripQuoted(b *testing.B) {
	opts := mailin.StripOptions{Markers: []string{"-- Reply above this line --"}, StripSignatures: true}
	for _, in := range quoteInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.text)))
			for b.Loop() {
				mailin.StripQuoted(in.text, opts)
			}
		})
	}
}

func BenchmarkStripQuotedHTML(b *testing.B) {
	reply := `<div dir="ltr">Done.</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Jan 6, 2025 at 10:02 AM Help Desk &lt;support@helpdesk.example&gt; wrote:</div>` +
		`<blockquote class="gmail_quote" style="border-left:1px solid #ccc">Which version?</blockquote><div>2.4.1.</div></div>`
	inputs := []struct{ name, html string }{
		{"thread of Gmail replies", fiveMB(reply)},
		{"nested quotes, 1000 deep, repeated", fiveMB(strings.Repeat(`<blockquote type="cite"><div>`, 1000) + "old" + strings.Repeat(`</div></blockquote>`, 1000))},
		{"unclosed divs, then stray closing tags", fiveMB(`<div class="x">`)[:5<<19] + fiveMB(`</blockquote>`)[:5<<19]},
		{"Outlook paragraphs", fiveMB(`<p class=MsoNormal>Hallo<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>`)},
	}
	opts := mailin.StripOptions{Markers: []string{"-- Reply above this line --"}}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.html)))
			for b.Loop() {
				mailin.StripQuotedHTML(in.html, opts)
			}
		})
	}
}

// BenchmarkStripQuotedGrowth runs the thread of replies at 1, 2 and 4
// times 5 MB: the time per byte stays the same when the work is linear.
func BenchmarkStripQuotedGrowth(b *testing.B) {
	thread := quoteInputs()[0].text
	for _, n := range []int{1, 2, 4} {
		text := strings.Repeat(thread, n)
		b.Run(fmt.Sprintf("%dx5MB", n), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				mailin.StripQuoted(text, mailin.StripOptions{})
			}
		})
	}
}
