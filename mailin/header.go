package mailin

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
)

// maxFieldLen caps the raw value of one header field. A longer value is cut
// (at a comma or whitespace near the limit) before it is decoded or parsed,
// so that a hostile field costs no more than a normal one; no customer mail
// has a field near 64 KiB.
const maxFieldLen = 64 << 10

// maxFields and maxHeaderBytes cap what is read of one header (a mail's or
// a MIME part's): fields that begin past either are skipped, so that a mail
// of 600,000 Cc lines costs no more than a normal one. Real mail is far
// below both (Postfix keeps at most 100 KiB of header, header_size_limit).
const (
	maxFields      = 1000
	maxHeaderBytes = 1 << 20
)

// field is one raw header field: canonical name and unfolded raw value.
type field struct {
	key   string
	value []byte
}

// fieldValue returns the first value of the canonical key, or nil.
func fieldValue(fs []field, key string) []byte {
	for _, f := range fs {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

// nextLine returns the line starting at pos without its LF, and the position
// of the following line.
func nextLine(b []byte, pos int) (line []byte, next int) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return b[pos:], len(b)
	}
	return b[pos : pos+i], pos + i + 1
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func allWSP(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// splitField splits "Name: value" and reports whether the line is a header
// field. Whitespace before the colon is tolerated (RFC 5322 4.5 obsolete syntax).
func splitField(line []byte) (name, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return nil, nil, false
	}
	name = line[:i]
	for len(name) > 0 && isWSP(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return nil, nil, false
		}
	}
	return name, line[i+1:], true
}

// readHeader splits b (LF line ends) into its header fields and body. It is
// lenient: whitespace-only lines fold (RFC 5322 4.2 obsolete folding), a
// stray line without a colon is skipped when header fields follow it, and
// otherwise starts the body. With top set it also skips leading blank lines
// and an mbox "From " line.
func readHeader(b []byte, top bool) (fields []field, body []byte) {
	pos := 0
	if top {
		for pos < len(b) {
			line, next := nextLine(b, pos)
			if allWSP(line) || bytes.HasPrefix(line, []byte("From ")) || bytes.HasPrefix(line, []byte(">From ")) {
				pos = next
				continue
			}
			break
		}
	}
	fields = make([]field, 0, 24)
	// The current field: its value spans b[vs:ve] and holds LFs when folded.
	cur, vs, ve, folded := -1, 0, 0, false
	start, capped := pos, false // capped: past maxFields or maxHeaderBytes
	finish := func() {
		if cur < 0 {
			return
		}
		v := b[vs:ve]
		if folded {
			v = bytes.ReplaceAll(v, []byte("\n"), nil)
		}
		fields[cur].value = bytes.TrimSpace(capField(v))
		cur = -1
	}
	for pos < len(b) {
		line, next := nextLine(b, pos)
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			finish()
			return fields, b[next:]
		}
		if isWSP(line[0]) && (cur >= 0 || capped) {
			if cur >= 0 {
				ve = pos + len(line)
				folded = true
			}
			pos = next
			continue
		}
		if name, _, ok := splitField(line); ok {
			finish()
			if capped = capped || len(fields) >= maxFields || pos-start >= maxHeaderBytes; capped {
				pos = next
				continue
			}
			fields = append(fields, field{key: textproto.CanonicalMIMEHeaderKey(string(name))})
			cur, vs, ve, folded = len(fields)-1, pos+bytes.IndexByte(line, ':')+1, pos+len(line), false
			pos = next
			continue
		}
		// A line that is neither a field nor a fold.
		finish()
		if next < len(b) {
			l2, _ := nextLine(b, next)
			if _, _, ok := splitField(l2); ok && (len(fields) > 0 || top) {
				pos = next
				continue
			}
		}
		return fields, b[pos:]
	}
	finish()
	return fields, nil
}

// capField cuts v to maxFieldLen bytes, back to the last comma or
// whitespace in the final KiB so that no address or word is cut in half.
func capField(v []byte) []byte {
	if len(v) <= maxFieldLen {
		return v
	}
	v = v[:maxFieldLen]
	if i := bytes.LastIndexAny(v, ", \t\n"); i > maxFieldLen-1024 {
		v = bytes.TrimRight(v[:i], ", \t\n")
	}
	return v
}

// isASCII reports whether b is 7-bit text without ESC or NUL.
func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b || c == 0 {
			return false
		}
	}
	return true
}

// normLabel turns a charset label into the lowercase form the decoders know.
func normLabel(label string) string {
	label = strings.ToLower(strings.Trim(label, " \t\"'"))
	if i := strings.IndexByte(label, '*'); i >= 0 { // RFC 2231 language suffix
		label = label[:i]
	}
	return label
}

var cp1252 = charmap.Windows1252

// bestEffortUTF8 returns b as UTF-8: unchanged when valid, decoded as
// windows-1252 (the usual mislabel) when guess1252, else with invalid
// sequences replaced.
func bestEffortUTF8(b []byte, guess1252 bool) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if guess1252 {
		if out, err := cp1252.NewDecoder().Bytes(b); err == nil {
			return string(out)
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// toUTF8 converts b from the named charset. An unknown charset keeps the
// bytes as best-effort UTF-8; it never fails.
func toUTF8(label string, b []byte) string {
	label = normLabel(label)
	if utf7Labels[label] {
		return decodeUTF7(b)
	}
	switch label {
	case "utf-8", "utf8", "x-utf8", "x-utf_8j":
		return bestEffortUTF8(b, false)
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "unknown-8bit", "x-unknown", "unknown", "default", "8bit", "7bit", "none":
		if isPlainASCII(b) {
			return string(b)
		}
		if bytes.IndexByte(b, 0x1b) >= 0 && isISO2022JP(b) {
			return toUTF8("iso-2022-jp", b)
		}
		return bestEffortUTF8(b, true)
	}
	if isPlainASCII(b) && asciiCompatible(label) {
		return string(b)
	}
	switch label {
	case "iso-2022-kr", "csiso2022kr", "iso-2022-cn", "iso-2022-cn-ext", "hz-gb-2312", "replacement":
		// The WHATWG index maps these to the "replacement" decoder, which
		// would turn the whole text into one U+FFFD.
		return bestEffortUTF8(b, false)
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil || r == nil {
		return bestEffortUTF8(b, false)
	}
	out, err := io.ReadAll(r)
	if err != nil && len(out) == 0 {
		return bestEffortUTF8(b, false)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// asciiCompatible reports whether plain ASCII bytes mean the same in label.
func asciiCompatible(label string) bool {
	return !strings.HasPrefix(label, "utf-16") && !strings.HasPrefix(label, "utf-32") &&
		!strings.HasPrefix(label, "utf-7") && !strings.HasPrefix(label, "ucs") &&
		!strings.HasPrefix(label, "unicode") && !strings.Contains(label, "ebcdic") &&
		!strings.HasPrefix(label, "ibm0") && !strings.HasPrefix(label, "cp0") && label != "hz-gb-2312"
}

// isISO2022JP reports whether b holds the escape sequences of ISO-2022-JP.
func isISO2022JP(b []byte) bool {
	return bytes.Contains(b, []byte("\x1b$B")) || bytes.Contains(b, []byte("\x1b$@")) || bytes.Contains(b, []byte("\x1b(J"))
}

// rawHeaderText converts an unencoded header value to UTF-8: raw UTF-8 stays,
// ISO-2022-JP escapes are decoded, other 8-bit bytes are read as windows-1252.
func rawHeaderText(b []byte) string {
	if isPlainASCII(b) {
		return string(b)
	}
	if bytes.IndexByte(b, 0x1b) >= 0 && isISO2022JP(b) {
		return stripNUL(toUTF8("iso-2022-jp", b))
	}
	return stripNUL(bestEffortUTF8(b, true))
}

func stripNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// maxDecodeRounds bounds how often decodeWords decodes a value again whose
// decoded text still holds encoded-words.
const maxDecodeRounds = 4

// decodeWords decodes the RFC 2047 encoded-words in a header value. Adjacent
// words separated by whitespace are joined (RFC 2047 6.2), and adjacent words
// in one charset are converted together so that a character split between
// two words survives. A malformed word stays as the raw text.
//
// A value encoded twice (a word whose text is another encoded-word) is
// decoded until nothing changes, so that nothing downstream decodes it once
// more, and line breaks and other control characters in the decoded text
// become spaces: an encoded "\r\nBcc:" must never reach a header that the
// desk writes.
func decodeWords(v []byte) string {
	s := decodeWordsOnce(v)
	for range maxDecodeRounds - 1 {
		if !strings.Contains(s, "=?") {
			break
		}
		again := decodeWordsOnce([]byte(s))
		if again == s {
			break
		}
		s = again
	}
	return neutralizeControls(s)
}

// neutralizeControls turns the C0 control characters other than tab, and
// DEL, into spaces and drops NUL.
func neutralizeControls(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0:
			return -1
		case r < ' ' && r != '\t', r == 0x7f:
			return ' '
		}
		return r
	}, s)
}

func decodeWordsOnce(v []byte) string {
	if !bytes.Contains(v, []byte("=?")) {
		return rawHeaderText(v)
	}
	var out strings.Builder
	out.Grow(len(v))
	var pending []byte
	pendingCS := ""
	flush := func() {
		if pending != nil {
			out.WriteString(stripNUL(toUTF8(pendingCS, pending)))
			pending = nil
		}
	}
	ends := wordEnds{from: -1}
	i, lastWord := 0, false
	for i < len(v) {
		j := bytes.Index(v[i:], []byte("=?"))
		if j < 0 {
			flush()
			out.WriteString(rawHeaderText(v[i:]))
			break
		}
		j += i
		cs, decoded, end, ok := parseWord(v, j, &ends)
		if !ok {
			flush()
			out.WriteString(rawHeaderText(v[i : j+2]))
			i, lastWord = j+2, false
			continue
		}
		gap := v[i:j]
		if !(lastWord && allWSP(gap)) {
			flush()
			out.WriteString(rawHeaderText(gap))
		}
		// UTF-7 is stateful: each word ends its own shift (RFC 2047 5 asks
		// each word to hold whole characters), so its words are not joined.
		if pending != nil && cs == pendingCS && !utf7Labels[cs] {
			pending = append(pending, decoded...)
		} else {
			flush()
			pending, pendingCS = decoded, cs
		}
		i, lastWord = end, true
	}
	flush()
	return out.String()
}

// wordEnds finds the "?=" that ends an encoded-word. Candidates are tried
// from left to right, so the last search is remembered: the scan for word
// ends costs linear time however many "=?" a value holds.
type wordEnds struct {
	from int // where the last search started; -1 before the first
	at   int // the first "?=" at or after from, or -1 if none
}

// find returns the index of the first "?=" at or after p, or -1.
func (e *wordEnds) find(v []byte, p int) int {
	if e.from >= 0 && p < e.from {
		// A candidate with a shorter charset name can start its text a
		// little before the last search (64 bytes at most).
		if k := bytes.Index(v[p:min(len(v), e.from+1)], []byte("?=")); k >= 0 {
			return p + k
		}
		p = e.from
	}
	if e.from >= 0 && (e.at < 0 || e.at >= p) {
		return e.at
	}
	e.from, e.at = p, bytes.Index(v[p:], []byte("?="))
	if e.at >= 0 {
		e.at += p
	}
	return e.at
}

// wordStartAt reports whether v[at:] begins an encoded-word: "=?charset?"
// followed by "B?" or "Q?" (RFC 2047 2), and returns where its text starts.
func wordStartAt(v []byte, at int) (cs []byte, enc byte, text int, ok bool) {
	p := at + 2
	q := bytes.IndexByte(v[p:min(len(v), p+65)], '?')
	if q <= 0 {
		return nil, 0, 0, false
	}
	cs = v[p : p+q]
	for _, c := range cs {
		if c <= ' ' || c >= 0x7f {
			return nil, 0, 0, false
		}
	}
	p += q + 1
	if p+2 > len(v) || v[p+1] != '?' {
		return nil, 0, 0, false
	}
	enc = v[p] | 0x20
	if enc != 'b' && enc != 'q' {
		return nil, 0, 0, false
	}
	return cs, enc, p + 2, true
}

// parseWord decodes the encoded-word "=?charset?enc?text?=" at v[at:].
// RFC 2047 2 allows 75 bytes; longer words and Q words with spaces inside,
// which mailers do write, are decoded too. A text that holds the start of
// another encoded-word is not a word's text: the "=?" before it begins no
// word.
func parseWord(v []byte, at int, ends *wordEnds) (cs string, decoded []byte, end int, ok bool) {
	rawCS, enc, p, ok := wordStartAt(v, at)
	if !ok {
		return "", nil, 0, false
	}
	e := ends.find(v, p)
	if e < 0 {
		return "", nil, 0, false
	}
	text := v[p:e]
	for k := bytes.Index(text, []byte("=?")); k >= 0; {
		if _, _, _, inner := wordStartAt(v, p+k); inner {
			return "", nil, 0, false
		}
		next := bytes.Index(text[k+2:], []byte("=?"))
		if next < 0 {
			break
		}
		k += 2 + next
	}
	end = e + 2
	switch enc {
	case 'b':
		t := bytes.TrimRight(bytes.TrimSpace(text), "=")
		decoded = make([]byte, base64.RawStdEncoding.DecodedLen(len(t)))
		n, err := base64.RawStdEncoding.Decode(decoded, t)
		if err != nil {
			return "", nil, 0, false
		}
		decoded = decoded[:n]
	case 'q':
		decoded = make([]byte, 0, len(text))
		for k := 0; k < len(text); k++ {
			c := text[k]
			switch {
			case c == '_':
				decoded = append(decoded, ' ')
			case c == '=' && k+2 < len(text) && isHex(text[k+1]) && isHex(text[k+2]):
				decoded = append(decoded, unhex(text[k+1])<<4|unhex(text[k+2]))
				k += 2
			default:
				decoded = append(decoded, c)
			}
		}
	}
	return normLabel(string(rawCS)), decoded, end, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// collapseSpace replaces every run of whitespace with one space and trims.
func collapseSpace(s string) string {
	clean := true
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			clean = false
			break
		}
		sp := c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
		if sp && (c != ' ' || prevSpace) || c < ' ' && !sp {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if r < ' ' || r == 0x7f {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parseIDs extracts Message-IDs from a Message-ID, In-Reply-To or References
// value: bracketed ids when there are any (text around them is comment), else
// whitespace- or comma-separated tokens. Brackets and whitespace are removed.
func parseIDs(v []byte) []string {
	var ids []string
	var seen map[string]bool
	add := func(id []byte) {
		id = bytes.Trim(id, " \t\n\r,;\"'<>")
		if len(id) == 0 || len(id) > 998 {
			return
		}
		if bytes.ContainsAny(id, " \t\n\r<>") {
			id = bytes.Map(func(r rune) rune {
				if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '<' || r == '>' {
					return -1
				}
				return r
			}, id)
		}
		s := rawHeaderText(id)
		if len(ids) > 0 && seen == nil {
			seen = map[string]bool{ids[0]: true}
		}
		if seen[s] {
			return
		}
		if seen != nil {
			seen[s] = true
		}
		ids = append(ids, s)
	}
	if bytes.IndexByte(v, '<') >= 0 {
		for {
			i := bytes.IndexByte(v, '<')
			if i < 0 {
				break
			}
			v = v[i+1:]
			j := bytes.IndexAny(v, "><")
			if j < 0 {
				add(v)
				break
			}
			if v[j] == '>' {
				add(v[:j])
				v = v[j+1:]
			} else {
				add(v[:j])
				v = v[j:]
			}
		}
		return ids
	}
	toks := bytes.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\n' || r == '\r' })
	if len(toks) == 1 {
		add(toks[0])
		return ids
	}
	for _, t := range toks {
		if bytes.IndexByte(t, '@') > 0 {
			add(t)
		}
	}
	return ids
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 MST",
	"Mon, 2 Jan 06 15:04 -0700",
	"Mon, 2 Jan 06 15:04 MST",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
	"Monday, 2 Jan 2006 15:04:05 -0700",
	"Monday, January 2, 2006 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

// parseDate parses a Date header leniently; it returns the zero time when
// nothing fits.
func parseDate(v string) time.Time {
	v = collapseSpace(v)
	if v == "" {
		return time.Time{}
	}
	// The usual form first: mail.ParseDate tries its layouts in turn, and
	// each that fails costs an error value.
	if t, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil {
		return t
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop comments such as "(CET)", a doubled comma, a trailing period.
	s := v
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			s = s[:i]
			break
		}
		s = s[:i] + s[i+j+1:]
	}
	s = strings.ReplaceAll(s, ",,", ",")
	s = strings.TrimRight(collapseSpace(s), ". ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	// Weekday names other than the three-letter ones, or a stray weekday.
	if i := strings.IndexByte(s, ','); i >= 0 && i < 12 {
		rest := strings.TrimSpace(s[i+1:])
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, rest); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
