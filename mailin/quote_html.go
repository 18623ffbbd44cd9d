package mailin

import (
	"bytes"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// StripQuotedHTML is NewText for an HTML body. It reads how clients mark
// quoted history in HTML: Gmail's div.gmail_quote, Apple Mail's,
// Thunderbird's and Fastmail's blockquote type="cite", a blockquote with
// a left border (mail.ru, Zoho), Outlook's divRplyFwdMsg, appendonsend and
// border-top separator, Outlook for Mac's OLK_SRC_BODY_SECTION and
// Yahoo's yahoo_quoted. A blockquote without such a sign is the writer's
// own quotation and stays. The result is text, cut as StripQuoted cuts.
func StripQuotedHTML(h string, opts StripOptions) string {
	text := htmlToText(markQuotesHTML(h))
	return stripLines(splitQuoteLines(quoteMarksToText(text)), opts, true)
}

// historyIDs are ids of the element Outlook and Outlook for Mac put where
// the quoted history starts.
var historyIDs = map[string]bool{
	"divrplyfwdmsg": true, "x_divrplyfwdmsg": true, "appendonsend": true, "x_appendonsend": true,
	"olk_src_body_section": true, "mail-editor-reference-message-container": true,
}

// blockStarts start a new line where they open.
var blockStarts = map[string]bool{
	"div": true, "p": true, "blockquote": true, "table": true, "tr": true, "ul": true, "ol": true,
	"li": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true,
	"hr": true, "dl": true, "dt": true, "dd": true, "section": true, "article": true, "header": true,
	"footer": true, "address": true, "center": true, "form": true, "fieldset": true, "figure": true,
	"nav": true, "main": true, "aside": true,
}

// maxTrackedDepth bounds the element stack kept while marking, so that a
// mail of a million unclosed elements does not hold a million frames.
const maxTrackedDepth = 4096

// markQuotesHTML copies h, adding the sentinels that quoteMarksToText
// reads: quoteOpenMark and quoteCloseMark around quoting blockquotes,
// historyMark before an element that starts the quoted history, and
// softBreakMark before block elements (which the text conversion breaks
// only where they close). Outlook's MsoNormal paragraphs become divs, as
// their style (no margins) shows them.
func markQuotesHTML(h string) string {
	h = strings.Map(func(r rune) rune {
		if r >= quoteOpenMark && r <= softBreakMark {
			return -1
		}
		return r
	}, h)
	type frame struct {
		name         string
		quote, gmail bool
	}
	var stack []frame
	open := map[string]int{} // frames on the stack by element name
	gmail := 0               // open Gmail quote containers
	msoP := false            // inside an Outlook paragraph written as a div
	msoText := false         // and it has shown text
	var b strings.Builder
	b.Grow(len(h) + len(h)/8)
	var raw []byte // the token as written, copied before the tokenizer reuses it
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		raw = append(raw[:0], z.Raw()...)
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			nameB, more := z.TagName()
			name, block := trackedName(nameB), blockStarts[string(nameB)]
			var id, class, style, typ string
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "id":
					id = strings.ToLower(string(v))
				case "class":
					class = strings.ToLower(string(v))
				case "style":
					style = strings.ToLower(strings.Join(strings.Fields(string(v)), ""))
				case "type":
					typ = strings.ToLower(string(v))
				}
			}
			if block {
				b.WriteRune(softBreakMark)
			}
			if historyIDs[id] || strings.Contains(class, "yahoo_quoted") || strings.HasPrefix(id, "yahoo_quoted") ||
				name == "div" && strings.Contains(style, "border-top:solid") && strings.Contains(style, "border:none") {
				b.WriteString("<br>")
				b.WriteRune(historyMark)
				b.WriteString("<br>")
			}
			if msoP && name == "p" {
				b.WriteString(closeMsoP(msoText))
				msoP = false
			}
			if tt == html.SelfClosingTagToken || (name != "div" && name != "blockquote") {
				if name == "p" && strings.Contains(class, "msonormal") && tt == html.StartTagToken {
					b.WriteString("<div>")
					msoP, msoText = true, false
					continue
				}
				b.Write(raw)
				continue
			}
			f := frame{name: name}
			if name == "div" && (strings.Contains(class, "gmail_quote") || strings.Contains(class, "gmail_extra")) {
				f.gmail = true
			}
			if name == "blockquote" && (typ == "cite" || gmail > 0 || strings.Contains(style, "border-left")) {
				f.quote = true
				b.WriteString("<br>")
				b.WriteRune(quoteOpenMark)
				b.WriteString("<br>")
			}
			b.Write(raw)
			if len(stack) < maxTrackedDepth {
				stack = append(stack, f)
				open[name]++
				if f.gmail {
					gmail++
				}
			} else if f.quote {
				// Untracked: close it at once so that depths stay balanced.
				b.WriteString("<br>")
				b.WriteRune(quoteCloseMark)
				b.WriteString("<br>")
			}
		case html.EndTagToken:
			nameB, _ := z.TagName()
			name := trackedName(nameB)
			if name == "p" && msoP {
				b.WriteString(closeMsoP(msoText))
				msoP = false
				continue
			}
			b.Write(raw)
			if name == "" || open[name] == 0 {
				continue // not ours, or stray: nothing to close
			}
			// Close the innermost open element of that name and those
			// left open inside it; the cost is paid once per element.
			for k := len(stack) - 1; k >= 0; k-- {
				if stack[k].name != name {
					continue
				}
				for _, f := range stack[k:] {
					open[f.name]--
					if f.gmail {
						gmail--
					}
					if f.quote {
						b.WriteString("<br>")
						b.WriteRune(quoteCloseMark)
						b.WriteString("<br>")
					}
				}
				stack = stack[:k]
				break
			}
		case html.TextToken:
			if msoP && !msoText {
				msoText = hasVisibleText(raw)
			}
			b.Write(raw)
		default:
			b.Write(raw)
		}
	}
}

// trackedName returns the names of the elements markQuotesHTML tracks
// ("div", "blockquote", "p"), and "" for the others.
func trackedName(name []byte) string {
	switch string(name) {
	case "div":
		return "div"
	case "blockquote":
		return "blockquote"
	case "p":
		return "p"
	}
	return ""
}

// hasVisibleText reports whether HTML text shows more than white space
// and no-break spaces.
func hasVisibleText(text []byte) bool {
	for i := 0; i < len(text); {
		switch {
		case text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == '\f':
			i++
		case bytes.HasPrefix(text[i:], []byte("\u00a0")):
			i += len("\u00a0")
		case bytes.HasPrefix(text[i:], []byte("&nbsp;")):
			i += len("&nbsp;")
		case bytes.HasPrefix(text[i:], []byte("&#160;")):
			i += len("&#160;")
		default:
			return true
		}
	}
	return false
}

// closeMsoP ends an Outlook paragraph written as a div; an empty one is
// an empty line, as Outlook shows it.
func closeMsoP(hasText bool) string {
	if hasText {
		return "</div>"
	}
	return "<br></div>"
}

// quoteMarksToText turns the sentinels of markQuotesHTML, carried through
// the text conversion, into text: lines inside quoting blockquotes get ">"
// marks, a soft break splits a line without making an empty one, and a
// history mark stands alone on its line.
func quoteMarksToText(text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	depth := 0
	blank := true // the last line written was empty (or there is none)
	emit := func(line string) {
		if line == "" && blank {
			return
		}
		blank = line == ""
		if depth > 0 {
			b.WriteString(strings.Repeat(">", min(depth, 64)))
			if line != "" {
				b.WriteByte(' ')
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	for line := range strings.SplitSeq(text, "\n") {
		// A line of nothing but soft breaks is an empty line of the
		// rendering: each break fell at the start of a line.
		if strings.TrimFunc(line, func(r rune) bool { return r == softBreakMark || unicode.IsSpace(r) }) == "" {
			emit("")
			continue
		}
		for piece := range strings.SplitSeq(line, string(softBreakMark)) {
			opens := strings.Count(piece, string(quoteOpenMark))
			closes := strings.Count(piece, string(quoteCloseMark))
			history := strings.ContainsRune(piece, historyMark)
			if opens+closes > 0 || history {
				piece = strings.Map(func(r rune) rune {
					if r >= quoteOpenMark && r <= softBreakMark {
						return -1
					}
					return r
				}, piece)
			}
			depth += opens
			if history && depth == 0 {
				emit(string(historyMark))
			}
			if piece = strings.TrimSpace(piece); piece != "" {
				emit(piece)
			}
			depth = max(depth-closes, 0)
		}
	}
	return b.String()
}
