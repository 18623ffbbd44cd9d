package mailin

import (
	"strings"
	"unicode/utf8"

	"github.com/k3a/html2text"
)

// sanitizeText makes s valid UTF-8 with LF line ends and no NUL bytes.
func sanitizeText(s string) string {
	if strings.IndexByte(s, '\r') < 0 && strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// decodeHTMLText converts an HTML part to UTF-8. Without a charset
// parameter and with bytes that are not UTF-8, the charset named in a
// <meta> element is used.
func decodeHTMLText(data []byte, cs string) string {
	if cs == "" && !utf8.Valid(data) {
		cs = metaCharset(data)
	}
	return toUTF8(cs, data)
}

// metaCharset finds charset=... in the first few KiB of an HTML document.
func metaCharset(data []byte) string {
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	low := asciiLower(string(head))
	i := strings.Index(low, "charset=")
	if i < 0 {
		return ""
	}
	s := strings.TrimLeft(low[i+8:], "\"' ")
	end := 0
	for end < len(s) {
		c := s[end]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ':' || c == '.') {
			break
		}
		end++
	}
	return s[:end]
}

// asciiLower lowercases ASCII letters only, keeping byte offsets intact.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676 4.2):
// a line ending in a space continues on the next line of the same quote
// depth; space-stuffing is removed.
func unflow(text string, delsp bool) string {
	if !strings.Contains(text, " \n") {
		return text
	}
	trailingLF := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var out, para strings.Builder
	out.Grow(len(text))
	inPara, paraDepth := false, 0
	emit := func() {
		if paraDepth > 0 {
			out.WriteString(strings.Repeat(">", paraDepth))
			out.WriteByte(' ')
		}
		out.WriteString(para.String())
		out.WriteByte('\n')
		para.Reset()
		inPara = false
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		if strings.HasPrefix(content, " ") {
			content = content[1:]
		}
		if inPara && depth != paraDepth {
			emit()
		}
		if !inPara {
			paraDepth = depth
		}
		if strings.HasSuffix(content, " ") && content != "-- " {
			if delsp {
				content = content[:len(content)-1]
			}
			para.WriteString(content)
			inPara = true
			continue
		}
		para.WriteString(content)
		inPara = true
		emit()
	}
	if inPara {
		emit()
	}
	s := out.String()
	if !trailingLF {
		s = strings.TrimSuffix(s, "\n")
	}
	return s
}

// blockTags end a line when they close.
var blockTags = map[string]bool{
	"div": true, "tr": true, "table": true, "blockquote": true, "pre": true,
	"section": true, "article": true, "header": true, "footer": true, "dt": true,
	"dd": true, "address": true, "center": true, "form": true, "fieldset": true,
	"figure": true, "caption": true, "dl": true, "nav": true, "main": true, "aside": true,
}

// skipTags have content that is never shown.
var skipTags = map[string]bool{"head": true, "style": true, "script": true, "title": true, "xml": true}

// htmlToText derives readable text from HTML. It prepares the markup for
// html2text (which matches bare tag names only and ignores block elements),
// converts it, and tidies the lines.
func htmlToText(h string) string {
	pre := prepareHTML(h)
	t := html2text.HTML2TextWithOptions(pre, html2text.WithUnixLineBreaks(), html2text.WithLinksInnerText(), html2text.WithListSupport())
	t = strings.ReplaceAll(t, "\u00a0", " ")
	var b strings.Builder
	b.Grow(len(t))
	blank := 0
	for line := range strings.SplitSeq(t, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			if blank > 0 {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(line)
	}
	return b.String()
}

// prepareHTML strips comments, declarations and invisible elements, reduces
// tags to their bare names (keeping href on links that lead somewhere), and
// marks line ends after block elements and gaps after table cells.
func prepareHTML(h string) string {
	low := asciiLower(h)
	var b strings.Builder
	b.Grow(len(h))
	unclosed := map[string]bool{} // skip elements whose end tag is missing
	i := 0
	for i < len(h) {
		j := strings.IndexByte(h[i:], '<')
		if j < 0 {
			b.WriteString(h[i:])
			break
		}
		b.WriteString(h[i : i+j])
		i += j
		if strings.HasPrefix(h[i:], "<!--") {
			end := strings.Index(h[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		if i+1 < len(h) && (h[i+1] == '!' || h[i+1] == '?') {
			end := strings.IndexByte(h[i:], '>')
			if end < 0 {
				break
			}
			i += end + 1
			continue
		}
		// Tag name.
		k := i + 1
		closing := k < len(h) && h[k] == '/'
		if closing {
			k++
		}
		ns := k
		for k < len(h) && (low[k] >= 'a' && low[k] <= 'z' || low[k] >= '0' && low[k] <= '9' || low[k] == ':') {
			k++
		}
		name := low[ns:k]
		if name == "" {
			b.WriteString("&lt;")
			i++
			continue
		}
		end := tagEnd(h, k)
		tag := h[i:end]
		i = end
		switch {
		case skipTags[name] && !closing:
			if unclosed[name] {
				break
			}
			if c := strings.Index(low[i:], "</"+name); c < 0 {
				unclosed[name] = true
			} else {
				i += c
				if e := strings.IndexByte(h[i:], '>'); e >= 0 {
					i += e + 1
				} else {
					i = len(h)
				}
			}
		case skipTags[name]:
		case name == "a" && !closing:
			if href := hrefOf(tag); href != "" {
				b.WriteString(`<a href="`)
				b.WriteString(strings.ReplaceAll(href, `"`, "%22"))
				b.WriteString(`">`)
			} else {
				b.WriteString("<span>")
			}
		case closing:
			if blockTags[name] {
				b.WriteString("<br>")
			} else if name == "td" || name == "th" {
				b.WriteString(" ")
			}
			if html2textEnds[name] {
				b.WriteString("</")
				b.WriteString(name)
				b.WriteString(">")
			}
		default:
			if name == "img" {
				if alt := attrOf(tag, "alt"); alt != "" {
					b.WriteString(" ")
					b.WriteString(alt)
					b.WriteString(" ")
				}
				continue
			}
			if name == "hr" {
				b.WriteString("<br>")
				continue
			}
			if html2textStarts[name] {
				b.WriteString("<")
				b.WriteString(name)
				b.WriteString(">")
			}
		}
	}
	return b.String()
}

// The tags html2text acts on, at their start and at their end; it passes
// over any other tag, at the cost of three regular expressions each, so
// prepareHTML leaves them out: HTML of a million nested tags converts in a
// fraction of the time.
var (
	html2textStarts = map[string]bool{"p": true, "br": true, "li": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}
	html2textEnds   = map[string]bool{"a": true, "p": true, "ul": true, "ol": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true}
)

// tagEnd returns the index just past the '>' that closes the tag whose name
// ends at k, skipping quoted attribute values.
func tagEnd(h string, k int) int {
	var quote byte
	for ; k < len(h); k++ {
		c := h[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k + 1
		}
	}
	return len(h)
}

// hrefOf returns a link target worth showing: not a mailto:, anchor or
// script link.
func hrefOf(tag string) string {
	href := strings.TrimSpace(attrOf(tag, "href"))
	l := asciiLower(href)
	if href == "" || strings.HasPrefix(l, "mailto:") || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "javascript:") || strings.HasPrefix(l, "tel:") {
		return ""
	}
	return href
}

// attrOf returns the value of an attribute in a start tag.
func attrOf(tag, attr string) string {
	low := asciiLower(tag)
	from := 0
	for {
		i := strings.Index(low[from:], attr)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(attr)
		if i == 0 || !(low[i-1] == ' ' || low[i-1] == '\t' || low[i-1] == '\n' || low[i-1] == '"' || low[i-1] == '\'') {
			continue
		}
		rest := strings.TrimLeft(tag[from:], " \t\n")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			if e := strings.IndexByte(rest[1:], q); e >= 0 {
				return rest[1 : 1+e]
			}
			return rest[1:]
		}
		e := strings.IndexAny(rest, " \t\n>")
		if e < 0 {
			e = len(rest)
		}
		return rest[:e]
	}
}

// Lines of an OpenPGP cleartext signature (RFC 4880 7), as Thunderbird,
// mutt and Enigmail write inline-signed mail.
const (
	pgpSignedBegin    = "-----BEGIN PGP SIGNED MESSAGE-----"
	pgpSignatureBegin = "-----BEGIN PGP SIGNATURE-----"
	pgpSignatureEnd   = "-----END PGP SIGNATURE-----"
)

// unwrapClearsigned returns the signed text of a cleartext-signed body:
// without the armour line and its Hash headers above, the signature
// block below, and the dash-escaping of lines that begin with a dash. A
// body that is not one is returned as it is. Only a body that starts
// with the armour is read so (the text around a quoted one is a reply's);
// what follows the signature (a list's footer) is kept. The raw mail
// keeps the signature for whoever wants to check it.
func unwrapClearsigned(text string) string {
	rest := strings.TrimLeft(text, " \t\r\n")
	if !strings.HasPrefix(rest, pgpSignedBegin) {
		return text
	}
	lines := strings.Split(rest, "\n")
	i := 1
	for i < len(lines) && strings.TrimRight(lines[i], " \t\r") != "" { // armour headers: "Hash: SHA256"
		if !strings.Contains(lines[i], ":") {
			return text
		}
		i++
	}
	if i == len(lines) {
		return text
	}
	var out []string
	for j := i + 1; j < len(lines); j++ {
		l := strings.TrimRight(lines[j], "\r")
		if strings.TrimRight(l, " \t") == pgpSignatureBegin {
			end := j + 1
			for end < len(lines) && strings.TrimRight(lines[end], " \t\r") != pgpSignatureEnd {
				end++
			}
			if end == len(lines) {
				return text // no end: not a signature after all
			}
			return strings.Join(append(out, lines[end+1:]...), "\n")
		}
		out = append(out, strings.TrimPrefix(l, "- "))
	}
	return text // no signature: leave it as written
}
