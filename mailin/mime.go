package mailin

import (
	"bytes"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that keep a hostile mail from costing more than its size.
const (
	maxDepth = 24   // nesting of multiparts and message/rfc822
	maxParts = 2000 // MIME parts in one mail
)

// parseParams parses a Content-Type or Content-Disposition value into its
// lowercased first token and its parameters (names lowercased). It is
// lenient about quoting, and decodes RFC 2231 parameters (continuations and
// charset'language'%XX values) and, for name and filename, the RFC 2047
// encoded-words that many mailers put there.
func parseParams(v []byte) (string, map[string]string) {
	s := string(v)
	value := s
	rest := ""
	if i := strings.IndexByte(s, ';'); i >= 0 {
		value, rest = s[:i], s[i+1:]
	}
	value = strings.ToLower(strings.Trim(value, " \t\"'"))
	if i := strings.IndexAny(value, " \t"); i >= 0 { // "text/plain charset=..." without ';'
		rest = value[i:] + ";" + rest
		value = value[:i]
	}
	if rest == "" {
		return value, nil
	}
	params := make(map[string]string, 2)
	type section struct {
		n        int
		extended bool
		v        string
	}
	var ext map[string][]section
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			if eq < 0 {
				break
			}
			rest = rest[eq:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, "\"") {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
			if j := strings.IndexByte(rest, ';'); j >= 0 { // junk after the quote
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			val = strings.Trim(strings.TrimSpace(rest[:j]), "'")
			rest = rest[j:]
		}
		if key == "" {
			continue
		}
		if star := strings.IndexByte(key, '*'); star > 0 {
			base, suf := key[:star], key[star+1:]
			sec := section{v: val}
			if suf == "" {
				sec.extended = true
			} else {
				if strings.HasSuffix(suf, "*") {
					sec.extended = true
					suf = suf[:len(suf)-1]
				}
				n, err := strconv.Atoi(suf)
				if err != nil || n < 0 || n > 999 {
					continue
				}
				sec.n = n
			}
			if ext == nil {
				ext = make(map[string][]section)
			}
			ext[base] = append(ext[base], sec)
			continue
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
	for k, v := range params {
		if k == "name" || k == "filename" {
			params[k] = decodeWords([]byte(v))
		}
	}
	for base, secs := range ext {
		sort.SliceStable(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
		var raw []byte
		cs := ""
		for i, sec := range secs {
			v := sec.v
			if sec.extended {
				if i == 0 {
					// RFC 2231 4: charset'language'value
					if a := strings.IndexByte(v, '\''); a >= 0 {
						if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
							cs = v[:a]
							v = v[a+1+b+1:]
						}
					}
				}
				raw = appendPercentDecoded(raw, v)
			} else {
				raw = append(raw, v...)
			}
		}
		if cs == "" && bytes.Contains(raw, []byte("=?")) {
			params[base] = decodeWords(raw)
		} else {
			params[base] = stripNUL(toUTF8(cs, raw))
		}
	}
	return value, params
}

func appendPercentDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
}

// delimLine is a boundary delimiter line found in a body (RFC 2046 5.1.1).
type delimLine struct {
	level   int  // index of the boundary in mimeReader.stack; -1: none found before the limit
	closing bool // the close-delimiter "--boundary--"
	start   int  // where the line starts, indentation included
	next    int  // where the line after it starts
}

// mimeReader reads a MIME body the way Dovecot and Thunderbird do: with a
// stack of the boundaries of every open multipart. A delimiter line belongs
// to the open multipart with the longest boundary that it matches (the
// innermost one when two are equal), so that "--1234567890" and
// "--12345678901" or "--b" and "--b--x" each split only their own
// multipart, and a delimiter of an outer multipart ends every part and
// multipart inside it, closed or not.
type mimeReader struct {
	data  []byte
	stack []string // boundaries of the open multiparts, outermost first
	w     *walker
}

// findDelim returns the first delimiter line of an open multipart in
// data[pos:limit]; pos is the start of a line.
func (r *mimeReader) findDelim(pos, limit int) delimLine {
	data := r.data[:limit]
	for pos < limit {
		line, next := nextLine(data, pos)
		if d, ok := r.matchDelim(data, line, pos, next); ok {
			return d
		}
		pos = next
	}
	return delimLine{level: -1, start: limit, next: limit}
}

// matchDelim reports whether line, which starts at pos, is a delimiter line
// of an open multipart, and of which.
//
// Leniency: text after the boundary is ignored when a space, a tab or the
// closing "--" separates it (RFC 2046 5.1.1 asks only that the boundary
// begin the line); "--boundary-1" is another boundary, not this one. An
// indented delimiter counts when a Content-* header field follows it, as
// some MTAs write their reports, and an indented close-delimiter counts.
func (r *mimeReader) matchDelim(data, line []byte, pos, next int) (delimLine, bool) {
	i := 0
	for i < len(line) && isWSP(line[i]) {
		i++
	}
	if len(line)-i < 3 || line[i] != '-' || line[i+1] != '-' {
		return delimLine{}, false
	}
	rest := line[i+2:]
	best := -1
	for lvl := len(r.stack) - 1; lvl >= 0; lvl-- {
		b := r.stack[lvl]
		if b == "" || len(b) > len(rest) || string(rest[:len(b)]) != b || best >= 0 && len(b) <= len(r.stack[best]) {
			continue
		}
		if tail := rest[len(b):]; len(tail) > 0 && !isWSP(tail[0]) && tail[0] != '\r' && !bytes.HasPrefix(tail, []byte("--")) {
			continue
		}
		best = lvl
	}
	if best < 0 {
		return delimLine{}, false
	}
	closing := bytes.HasPrefix(rest[len(r.stack[best]):], []byte("--"))
	if i > 0 && !closing && !contentFieldFollows(data, pos+len(line)) {
		return delimLine{}, false
	}
	return delimLine{level: best, closing: closing, start: pos, next: next}, true
}

// contentEnd is where the content that d ends stops: the line break before
// a delimiter line belongs to the delimiter (RFC 2046 5.1.1).
func (r *mimeReader) contentEnd(from int, d delimLine) int {
	end := d.start
	if (d.level >= 0 || end < len(r.data)) && end > from && r.data[end-1] == '\n' {
		end--
	}
	return max(end, from)
}

// entity reads the entity whose header fields are fs and whose body starts
// at pos, up to the first delimiter line of an open multipart before limit,
// and returns that line.
func (r *mimeReader) entity(fs []field, pos, limit, depth int, root bool, defType string) delimLine {
	w := r.w
	w.parts++
	mt, params := parseParams(fieldValue(fs, "Content-Type"))
	switch {
	case mt == "text":
		mt = "text/plain"
	case strings.IndexByte(mt, '/') <= 0:
		mt = defType
	}
	if !strings.HasPrefix(mt, "multipart/") {
		d := r.findDelim(pos, limit)
		w.leaf(fs, r.data[pos:r.contentEnd(pos, d)], mt, params, root)
		return d
	}
	if depth >= maxDepth || w.parts > maxParts {
		d := r.findDelim(pos, limit)
		w.atts = append(w.atts, Attachment{ContentType: mt, Data: r.data[pos:r.contentEnd(pos, d)]})
		return d
	}
	own := len(r.stack)
	r.stack = append(r.stack, params["boundary"])
	defer func() { r.stack = r.stack[:own] }()
	first := r.findDelim(pos, limit)
	if first.level == own {
		return r.parts(mt, first, limit, depth)
	}
	// The declared boundary is missing or unused before the multipart
	// ends: look for the one the body really uses.
	if g := guessBoundary(r.data[pos:first.start]); g != "" {
		r.stack[own] = g
		if d := r.findDelim(pos, first.start); d.level == own {
			r.parts(mt, d, first.start, depth)
			return first
		}
	}
	// Not split into parts: keep the body as text so nothing is lost.
	r.stack = r.stack[:own]
	w.leaf(fs, r.data[pos:r.contentEnd(pos, first)], "text/plain", params, root)
	return first
}

// parts reads the body parts of the multipart whose boundary is the last
// on the stack, from its first delimiter line d, and returns the delimiter
// line of an outer multipart that ends it (level -1 at limit).
func (r *mimeReader) parts(mt string, d delimLine, limit, depth int) delimLine {
	w := r.w
	own := len(r.stack) - 1
	childType := "text/plain"
	if mt == "multipart/digest" {
		childType = "message/rfc822" // RFC 2046 5.1.5
	}
	// RFC 2046 5.1.4: alternatives in increasing order of fidelity. Keep the
	// first plain text and the last HTML; attachments of every branch stay.
	alt := mt == "multipart/alternative"
	var altText, altHTML []string
	for d.level == own && !d.closing {
		if w.parts > maxParts {
			// Too many parts: keep the rest of this multipart whole.
			r.stack = r.stack[:own]
			end := r.findDelim(d.next, limit)
			w.atts = append(w.atts, Attachment{ContentType: mt, Data: r.data[d.next:r.contentEnd(d.next, end)]})
			return end
		}
		t0, h0 := len(w.texts), len(w.htmls)
		d = r.part(d.next, limit, depth+1, childType)
		if !alt {
			continue
		}
		if len(w.texts) > t0 && altText == nil && strings.TrimSpace(strings.Join(w.texts[t0:], "")) != "" {
			altText = append([]string(nil), w.texts[t0:]...)
		}
		if len(w.htmls) > h0 {
			altHTML = append([]string(nil), w.htmls[h0:]...)
		}
		w.texts, w.htmls = w.texts[:t0], w.htmls[:h0]
	}
	if alt {
		w.texts = append(w.texts, altText...)
		w.htmls = append(w.htmls, altHTML...)
	}
	if d.level == own {
		// The close-delimiter: the epilogue runs to a delimiter of an
		// outer multipart, and this boundary is no longer open.
		r.stack = r.stack[:own]
		d = r.findDelim(d.next, limit)
	}
	return d
}

// part reads one body part that starts at pos: its header, which cannot
// run past the next delimiter line, and its body.
func (r *mimeReader) part(pos, limit, depth int, defType string) delimLine {
	hd := r.findDelim(pos, limit)
	fs, body := readHeader(r.data[pos:hd.start], false)
	bodyStart := hd.start - len(body)
	return r.entity(fs, bodyStart, limit, depth, false, defType)
}

// contentFieldFollows reports whether the line after lineEnd is a Content-*
// header field.
func contentFieldFollows(body []byte, lineEnd int) bool {
	if lineEnd+1 >= len(body) {
		return false
	}
	l, _ := nextLine(body, lineEnd+1)
	name, _, ok := splitField(l)
	return ok && len(name) > 8 && strings.EqualFold(string(name[:8]), "content-")
}

// guessBoundary finds the boundary a broken multipart really uses: the first
// "--token" line that is followed by a Content-* header field.
func guessBoundary(body []byte) string {
	pos := 0
	for n := 0; pos < len(body) && n < 5000; n++ {
		line, next := nextLine(body, pos)
		if len(line) > 2 && line[0] == '-' && line[1] == '-' && !bytes.ContainsAny(line[2:], " \t") && next < len(body) {
			if contentFieldFollows(body, next-1) {
				return string(bytes.TrimRight(line[2:], "\r"))
			}
		}
		pos = next
	}
	return ""
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 6). An
// unknown or undecodable encoding returns the raw bytes.
func decodeTransfer(enc []byte, b []byte) []byte {
	e := strings.ToLower(strings.Trim(string(enc), " \t\"'"))
	switch e {
	case "base64":
		if out, ok := decodeBase64(b); ok {
			return out
		}
	case "quoted-printable":
		return decodeQP(b)
	case "x-uuencode", "uuencode", "x-uue":
		if out, ok := decodeUU(b); ok {
			return out
		}
	}
	return b
}

var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63 // URL-safe alphabet, seen in the wild
	return t
}()

// decodeBase64 decodes leniently: whitespace and stray characters are
// skipped, padding may be missing or repeated (concatenated chunks). It
// gives up (ok false) when the input is plainly not base64.
//
// Between groups it takes four characters at once while all four are
// base64, the body of every line of an attachment; anything else goes a
// character at a time.
func decodeBase64(b []byte) ([]byte, bool) {
	d := b64Decoder{b: b, out: make([]byte, 0, len(b)*3/4+3)}
	for i := 0; i < len(b); i++ {
		if d.n == 0 {
			for ; i+4 <= len(b); i += 4 {
				v0, v1, v2, v3 := b64[b[i]], b64[b[i+1]], b64[b[i+2]], b64[b[i+3]]
				if (v0|v1|v2|v3)&0xc0 != 0 {
					break
				}
				acc := uint32(v0)<<18 | uint32(v1)<<12 | uint32(v2)<<6 | uint32(v3)
				d.out = append(d.out, byte(acc>>16), byte(acc>>8), byte(acc))
			}
			if i == len(b) {
				break
			}
		}
		d.decode(i, i+1)
	}
	return d.finish()
}

// b64Decoder decodes b a character at a time, for decodeBase64.
type b64Decoder struct {
	b      []byte
	out    []byte
	acc    uint32
	n, bad int
}

// decode decodes b[from:to].
func (d *b64Decoder) decode(from, to int) {
	b := d.b
	for i := from; i < to; i++ {
		c := b[i]
		v := b64[c]
		if v == 0xff {
			switch c {
			case ' ', '\t':
				// A space between two base64 characters is text, not base64.
				if i > 0 && i+1 < len(b) && b64[b[i-1]] != 0xff && b64[b[i+1]] != 0xff {
					d.bad++
				}
			case '\n', '\r':
			case '=':
				switch d.n {
				case 2:
					d.out = append(d.out, byte(d.acc>>4))
				case 3:
					d.out = append(d.out, byte(d.acc>>10), byte(d.acc>>2))
				}
				d.acc, d.n = 0, 0
			default:
				d.bad++
			}
			continue
		}
		d.acc = d.acc<<6 | uint32(v)
		d.n++
		if d.n == 4 {
			d.out = append(d.out, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
			d.acc, d.n = 0, 0
		}
	}
}

// finish writes out the bytes of a last, unpadded group.
func (d *b64Decoder) finish() ([]byte, bool) {
	switch d.n {
	case 2:
		d.out = append(d.out, byte(d.acc>>4))
	case 3:
		d.out = append(d.out, byte(d.acc>>10), byte(d.acc>>2))
	}
	if d.bad > 2+len(d.b)/50 {
		return nil, false
	}
	return d.out, true
}

// decodeQP decodes quoted-printable (RFC 2045 6.7) leniently: a "=" that
// starts no valid escape stays literal, and trailing whitespace on a line is
// dropped.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for pos := 0; pos < len(b); {
		line, next := nextLine(b, pos)
		hasLF := next > pos+len(line)
		for len(line) > 0 && (isWSP(line[len(line)-1]) || line[len(line)-1] == '\r') {
			line = line[:len(line)-1]
		}
		soft := false
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c != '=' {
				out = append(out, c)
				continue
			}
			if i == len(line)-1 {
				soft = true
				break
			}
			if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
				i += 2
				continue
			}
			out = append(out, c)
		}
		if hasLF && !soft {
			out = append(out, '\n')
		}
		pos = next
	}
	return out
}

// decodeUU decodes a uuencoded body ("begin 644 name" ... "end").
func decodeUU(b []byte) ([]byte, bool) {
	pos := 0
	for pos < len(b) {
		line, next := nextLine(b, pos)
		pos = next
		if bytes.HasPrefix(line, []byte("begin ")) {
			break
		}
		if pos >= len(b) {
			return nil, false
		}
	}
	var out []byte
	for pos < len(b) {
		line, next := nextLine(b, pos)
		pos = next
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if bytes.Equal(line, []byte("end")) {
			break
		}
		n := int((line[0] - ' ') & 63)
		if n == 0 {
			continue
		}
		data := line[1:]
		var chunk []byte
		for i := 0; i < len(data) && len(chunk) < n; i += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if i+k < len(data) {
					q[k] = (data[i+k] - ' ') & 63
				}
			}
			chunk = append(chunk, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		if len(chunk) > n {
			chunk = chunk[:n]
		}
		out = append(out, chunk...)
	}
	return out, true
}

// walker collects the body texts and attachments of a MIME tree.
type walker struct {
	texts []string
	htmls []string
	atts  []Attachment
	parts int
}

// entity handles one MIME entity with its header fields and raw body.
func (w *walker) entity(fs []field, body []byte, depth int, root bool, defType string) {
	r := &mimeReader{data: body, w: w}
	r.entity(fs, 0, len(body), depth, root, defType)
}

// leaf handles a non-multipart entity: a body text or an attachment.
func (w *walker) leaf(fs []field, body []byte, mt string, params map[string]string, root bool) {
	disp, dparams := parseParams(fieldValue(fs, "Content-Disposition"))
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	filename = cleanFilename(filename)
	data := decodeTransfer(fieldValue(fs, "Content-Transfer-Encoding"), body)
	if (mt == "text/plain" || mt == "text/html") && disp != "attachment" && (filename == "" || root) {
		if mt == "text/html" {
			w.htmls = append(w.htmls, decodeHTMLText(data, params["charset"]))
			return
		}
		text := toUTF8(params["charset"], data)
		if strings.EqualFold(params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
		}
		w.texts = append(w.texts, unwrapClearsigned(text))
		return
	}
	cid := ""
	if ids := parseIDs(fieldValue(fs, "Content-Id")); len(ids) > 0 {
		cid = ids[0]
	}
	if (mt == "message/rfc822" || mt == "message/global") && !strings.HasSuffix(strings.ToLower(filename), ".eml") {
		inner, _ := readHeader(data, true)
		subj := collapseSpace(decodeWords(fieldValue(inner, "Subject")))
		if subj = cleanFilename(subj); subj == "" {
			subj = "message"
		}
		filename = subj + ".eml"
	}
	w.atts = append(w.atts, Attachment{
		Filename:    filename,
		ContentType: mt,
		ContentID:   cid,
		Inline:      disp == "inline" || disp == "" && cid != "",
		Data:        data,
	})
}

// cleanFilename drops directories and control characters, replaces
// characters that are unsafe in file names, and caps the length. Bidi
// controls (Unicode UAX #9) become "_": "x\u202eexe.pdf" would otherwise
// show as "xfdp.exe" and hide what the file is.
func cleanFilename(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base("/" + strings.TrimRight(s, "/"))
	if s == "/" || s == "." || s == ".." {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r):
			return -1
		case strings.ContainsRune(`:*?"<>|`, r), isBidiControl(r):
			return '_'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// isBidiControl reports whether r is one of the invisible characters that
// change the direction of text (Unicode UAX #9 2: ALM, LRM, RLM, the
// embeddings, overrides and isolates).
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}
