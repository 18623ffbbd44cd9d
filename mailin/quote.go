package mailin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// StripOptions tunes NewText, StripQuoted and StripQuotedHTML. The zero
// value keeps signatures and knows no marker.
type StripOptions struct {
	// Markers are lines the desk writes into its own mails, such as
	// "-- Reply above this line --". The first line containing one
	// (case and runs of spaces ignored, ">" quoting too) is cut with
	// everything below it, together with the attribution line a client
	// put right above it.
	Markers []string
	// StripSignatures also cuts the writer's signature: a "-- " block
	// (RFC 3676 4.3), a phone's "Sent from my iPhone" line and what
	// follows it, and a closing line ("Regards,") followed by a few short
	// lines at the end. Without it they are kept as the writer's own text.
	StripSignatures bool
	// Forwarded says the mail forwards another; NewText sets it when the
	// subject starts with a forward prefix ("Fwd:", "FW:", "WG:", "TR:").
	// A header block ("From: … Sent: …") then heads the forwarded
	// message, which is kept as content.
	Forwarded bool
}

// NewText returns the text a reply adds: its body without the quoted
// history below or between the writer's lines, without the attribution
// ("On … wrote:") and header blocks ("From: … Sent: …") clients put above
// that history, and without the desk's own markers (see StripOptions).
// A mail that has only an HTML body is cut along its HTML structure
// (Gmail's gmail_quote, Apple's and Thunderbird's blockquote type=cite,
// Outlook's divRplyFwdMsg and border-top separator). Answers written
// between quoted lines are kept, and so is a forwarded message. A mail
// that is all quote gives "".
func NewText(m *Message, opts StripOptions) string {
	if isForwardSubject(m.Subject) {
		opts.Forwarded = true
	}
	if m.TextFromHTML {
		return StripQuotedHTML(m.HTML, opts)
	}
	return StripQuoted(m.Text, opts)
}

// StripQuoted is NewText for a plain text body. Every line of the result
// is a line of text, or the start of one where a reply and an attribution
// share a line; lines keep their order.
func StripQuoted(text string, opts StripOptions) string {
	return stripLines(splitQuoteLines(text), opts, false)
}

// qline is one line of a reply.
type qline struct {
	raw     string     // the line as written, without its line end
	depth   int        // number of ">" quote marks at its start
	content string     // the line without quote marks, spaces trimmed
	role    headerRole // what the content is as a header field ("From: …")
	valued  bool       // and the field has a value
}

func (l qline) blank() bool { return l.content == "" && l.depth == 0 }

// splitQuoteLines splits text into lines (LF or CRLF ends) and reads the
// quote depth of each.
func splitQuoteLines(text string) []qline {
	lines := make([]qline, 0, strings.Count(text, "\n")+1)
	for raw := range strings.SplitSeq(text, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		lines = append(lines, newQline(raw))
	}
	return lines
}

func newQline(raw string) qline {
	depth, i := 0, 0
	// A quote mark may follow up to three spaces and be followed by one
	// ("> > text"), as clients write nested quotes.
	for i < len(raw) && i < 3 && (raw[i] == ' ' || raw[i] == '\t') {
		i++
	}
	for i < len(raw) && raw[i] == '>' {
		depth++
		i++
		if i+1 < len(raw) && raw[i] == ' ' && raw[i+1] == '>' {
			i++
		}
	}
	if depth == 0 {
		i = 0
	}
	l := qline{raw: raw, depth: depth, content: strings.TrimFunc(raw[i:], isSpaceOrFormat)}
	if strings.ContainsAny(l.content, "\u00a0\u202f\u2007") {
		// No-break spaces, as HTML (&nbsp;), French typography ("a écrit :")
		// and Gmail ("10:02 AM") put them, read as spaces.
		l.content = strings.Map(func(r rune) rune {
			if r == '\u00a0' || r == '\u202f' || r == '\u2007' {
				return ' '
			}
			return r
		}, l.content)
	}
	var value string
	l.role, value = headerField(l.content)
	l.valued = value != ""
	return l
}

// isSpaceOrFormat reports white space and invisible format characters
// (byte order mark, the direction marks Gmail puts around right-to-left
// attributions).
func isSpaceOrFormat(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }

// Sentinels that StripQuotedHTML leaves in the text it derives from HTML.
const (
	quoteOpenMark  = '\uE000' // a quoting element starts
	quoteCloseMark = '\uE001' // a quoting element ends
	historyMark    = '\uE002' // a client's separator above quoted history
	softBreakMark  = '\uE003' // a block starts: break the line unless at its start
)

// maxAttributionLen bounds the lines examined as an attribution, so that
// huge lines cost one look.
const maxAttributionLen = 400

// stripLines does the work of StripQuoted on lines. fromHTML says the
// lines were derived by StripQuotedHTML and may hold a historyMark line.
func stripLines(lines []qline, opts StripOptions, fromHTML bool) string {
	end := len(lines)
	byMarker := false
	if i := markerLine(lines, opts.Markers); i >= 0 {
		end, byMarker = i, true
	}
	lines = lines[:end]

	drop := make([]bool, len(lines))
	truncated := map[int]string{} // line index → the part kept
	cut := len(lines)             // lines from cut on are history

scan:
	for i := 0; i < cut; {
		l := lines[i]
		switch {
		case l.depth > 0:
			if e, ok := promptBlock(lines, i, cut); ok {
				i = e // a session at a ">>>" prompt, not a quote
				continue
			}
			// A quote block goes with the blank lines that follow it,
			// and with the tail of a quoted line that a client wrapped
			// without quoting it.
			for i < cut && (lines[i].depth > 0 || lines[i].content == "" || isWrappedQuoteTail(lines, i, cut)) {
				drop[i] = true
				i++
			}
			continue
		case l.content == "":
			i++
			continue
		case fromHTML && l.content == string(historyMark):
			drop[i] = true
			if n := nextNonBlank(lines, i+1, cut); opts.Forwarded || n < cut && isForwardLine(lines[n].content) {
				i++
				continue
			}
			cut = separatorAbove(lines, i)
			break scan
		case isForwardLine(l.content):
			break scan // a forwarded message is content: keep it as written
		}
		if title, ok := dashedTitle(l.content); ok {
			if isOriginalMessageTitle(title) || endsWithWroteWord(title) {
				if n := nextNonBlank(lines, i+1, cut); n < cut && lines[n].depth > 0 {
					markDropped(drop, i, n)
					i = n
					continue
				}
				cut = i
				break scan
			}
		}
		if headerBlockAt(lines, i, cut) {
			if opts.Forwarded {
				break scan // the forwarded message: keep it as written
			}
			cut = separatorAbove(lines, i)
			break scan
		}
		if prefix, ok := replyBeforeAttribution(l.raw); ok {
			if n := nextNonBlank(lines, i+1, cut); n < cut && lines[n].depth > 0 {
				truncated[i] = prefix
				markDropped(drop, i+1, n)
				i = n
				continue
			}
		}
		if start, strong, ok := attributionEndingAt(lines, i); ok {
			n := nextNonBlank(lines, i+1, cut)
			if n < cut && lines[n].depth > 0 {
				markDropped(drop, start, n)
				i = n
				continue
			}
			if strong || (n == cut && byMarker) {
				cut = start
				break scan
			}
		}
		if opts.StripSignatures && (isSignatureDelimiter(l.raw) || isMobileSignature(l.content)) {
			cut = i
			break scan
		}
		if isListFooterAt(lines, i, cut) {
			cut = i
			break scan
		}
		i++
	}

	if byMarker && cut == len(lines) {
		// The line right above the marker is the client's, in a layout
		// not known above: "Help Desk <support@…> 06.01.2025 10:02".
		j := nextNonBlankBefore(lines, cut)
		if j > 0 && !drop[j] && lines[j].depth == 0 && looksLikeHistoryHeader(lines[j].content) &&
			nextNonBlankBefore(lines, j) >= 0 {
			cut = j
		}
	}

	kept := make([]string, 0, cut)
	for i := range cut {
		if drop[i] {
			continue
		}
		if p, ok := truncated[i]; ok {
			kept = append(kept, p)
			continue
		}
		kept = append(kept, lines[i].raw)
	}
	if opts.StripSignatures {
		kept = cutValediction(kept)
	}
	return joinTrimmed(kept)
}

// promptBlock reports a run of lines from i that all start with three or
// more ">" and returns its end: a Python or shell session pasted into the
// text. A real quote that deep is always inside a shallower one.
func promptBlock(lines []qline, i, end int) (int, bool) {
	j := i
	for j < end && lines[j].depth > 0 {
		if lines[j].depth < 3 {
			return 0, false
		}
		j++
	}
	return j, true
}

// isWrappedQuoteTail reports an unquoted line between two quoted lines
// that continues the long quoted line above it: it starts in lower case
// and the line above does not end a sentence. An answer written between
// quoted lines starts like a sentence, or follows a short line.
func isWrappedQuoteTail(lines []qline, i, end int) bool {
	if i == 0 || i+1 >= end || lines[i].depth > 0 || lines[i-1].depth == 0 || lines[i+1].depth == 0 {
		return false
	}
	above := lines[i-1].content
	if utf8.RuneCountInString(above) < 60 || strings.ContainsAny(above[len(above)-1:], ".!?:") {
		return false
	}
	r, _ := utf8.DecodeRuneInString(lines[i].content)
	return unicode.IsLower(r)
}

// markDropped drops lines from..to-1.
func markDropped(drop []bool, from, to int) {
	for k := from; k < to; k++ {
		drop[k] = true
	}
}

// nextNonBlank returns the index of the first line from i on that is not
// empty (quoted lines count as not empty), or end.
func nextNonBlank(lines []qline, i, end int) int {
	for i < end && lines[i].blank() {
		i++
	}
	return i
}

// nextNonBlankBefore returns the index of the last line before i that is
// not empty, or -1.
func nextNonBlankBefore(lines []qline, i int) int {
	i--
	for i >= 0 && lines[i].blank() {
		i--
	}
	return i
}

// joinTrimmed joins lines without blank lines at either end.
func joinTrimmed(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// markerLine returns the first line holding one of the markers, or -1.
func markerLine(lines []qline, markers []string) int {
	var norm []string
	for _, m := range markers {
		if m = normalizeSpaces(m); m != "" {
			norm = append(norm, m)
		}
	}
	if len(norm) == 0 {
		return -1
	}
	// Each marker's longest word, to pass over most lines cheaply.
	keys := make([]string, len(norm))
	for k, m := range norm {
		for _, w := range strings.Fields(m) {
			if len(w) > len(keys[k]) {
				keys[k] = w
			}
		}
	}
	for i, l := range lines {
		for k, m := range norm {
			if !containsFoldASCII(l.content, keys[k]) {
				continue
			}
			if strings.Contains(normalizeSpaces(l.content), m) {
				return i
			}
		}
	}
	return -1
}

// containsFoldASCII reports whether s may contain key (lowercase):
// ASCII letters compared without case; for a key with other letters it
// says yes, leaving the check to the caller.
func containsFoldASCII(s, key string) bool {
	for k := 0; k < len(key); k++ {
		if key[k] >= utf8.RuneSelf {
			return true
		}
	}
	for i := 0; i+len(key) <= len(s); i++ {
		if lowerASCII(s[i]) != key[0] {
			continue
		}
		j := 1
		for j < len(key) && lowerASCII(s[i+j]) == key[j] {
			j++
		}
		if j == len(key) {
			return true
		}
	}
	return false
}

// normalizeSpaces lowercases s and collapses runs of white space (the
// no-break space too) into one space.
func normalizeSpaces(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// separatorAbove returns where history starting at line i really starts:
// at a separator line right above it ("____", "-----", or a title between
// dashes that is not a forward's), if there is one.
func separatorAbove(lines []qline, i int) int {
	j := i - 1
	for j >= 0 && lines[j].blank() {
		j--
	}
	if j < 0 || lines[j].depth > 0 {
		return i
	}
	if c := lines[j].content; isSeparatorLine(c) {
		return j
	} else if _, ok := dashedTitle(c); ok && !isForwardLine(c) {
		// "---------- Původní e-mail ----------" in a language not
		// listed in originalMessageWords.
		return j
	}
	return i
}

// isSeparatorLine reports a line of only rule characters, as Outlook and
// webmail put above the quoted header block.
func isSeparatorLine(s string) bool {
	if utf8.RuneCountInString(s) < 5 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("_-=—─*~ ", r) {
			return false
		}
	}
	return true
}

// dashedTitle returns the title of a line such as "-----Original
// Message-----" or "---- John Smith wrote ----".
func dashedTitle(s string) (string, bool) {
	if len(s) > maxAttributionLen || !strings.HasPrefix(s, "--") {
		return "", false
	}
	t := strings.TrimLeft(s, "-— ")
	if len(s)-len(t) < 3 {
		return "", false
	}
	u := strings.TrimRight(t, "-— ")
	if len(t)-len(u) < 2 || u == "" {
		return "", false
	}
	return strings.ToLower(u), true
}

func isOriginalMessageTitle(title string) bool {
	for _, w := range originalMessageWords {
		if title == w {
			return true
		}
	}
	return false
}

// isForwardLine reports the line that starts a forwarded message.
func isForwardLine(s string) bool {
	if len(s) > 120 {
		return false
	}
	t := strings.Trim(s, "-—=_*<> :")
	if t == "" || !forwardFirstBytes[lowerASCII(t[0])] {
		return false
	}
	t = strings.ToLower(t)
	for _, w := range forwardWords {
		if strings.HasPrefix(t, w) {
			return true
		}
	}
	return false
}

// headerField splits a line such as "From: Ann <ann@example.com>" or
// "*Envoyé le :* lundi" into its role and value.
func headerField(content string) (headerRole, string) {
	i := strings.IndexAny(content[:min(len(content), 48)], ":：")
	if i <= 0 || i > 40 {
		return roleNone, ""
	}
	label := strings.ToLower(strings.TrimFunc(content[:i], isLabelPadding))
	role := headerLabels[label]
	if role == roleNone {
		return roleNone, ""
	}
	_, size := utf8.DecodeRuneInString(content[i:])
	return role, strings.TrimFunc(content[i+size:], isLabelPadding)
}

// isLabelPadding reports what may surround a label: spaces (the no-break
// space of French typography too) and the stars of bold text.
func isLabelPadding(r rune) bool { return r == '*' || unicode.IsSpace(r) }

// headerBlockAt reports whether a quoted header block starts at line i: a
// From line and at least two of Sent/Date, To, Cc and Subject (one of them
// Sent, Date or Subject), as Outlook, Apple Mail, Yahoo and webmail write
// above the message replied to or forwarded. The block starts with From,
// or with the date where GMX and WEB.DE put it first ("Gesendet: …" above
// "Von: …").
func headerBlockAt(lines []qline, i, end int) bool {
	l := lines[i]
	if l.depth > 0 || len(l.content) > maxAttributionLen {
		return false
	}
	if (l.role != roleFrom && l.role != roleDate) || !l.valued {
		return false
	}
	var seen [roleSubject + 1]bool
	seen[l.role] = true
	others, other := 0, 0
	if l.role != roleFrom {
		others++
	}
	blanks := 0
	for j := i + 1; j < end && j < i+14; j++ {
		lj := lines[j]
		if lj.depth > 0 {
			break
		}
		if lj.content == "" {
			if blanks++; blanks > 1 {
				break
			}
			continue
		}
		r := lj.role
		if r == roleFrom && !seen[roleFrom] && lj.valued && blanks == 0 {
			seen[roleFrom] = true
			continue
		}
		if r == roleNone || r == roleFrom {
			if other++; other > 2 || blanks > 0 {
				break
			}
			continue // a wrapped value
		}
		blanks = 0
		if !seen[r] {
			seen[r] = true
			others++
		}
	}
	return seen[roleFrom] && others >= 2 && (seen[roleDate] || seen[roleSubject])
}

// isForwardSubject reports a subject that starts with a forward prefix,
// after any tags in brackets ("[HD#1042] Fwd: …").
func isForwardSubject(subject string) bool {
	s := strings.TrimSpace(subject)
	for strings.HasPrefix(s, "[") {
		k := strings.IndexByte(s, ']')
		if k < 0 {
			break
		}
		s = strings.TrimSpace(s[k+1:])
	}
	s = strings.ToLower(s)
	for _, p := range forwardSubjectPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// attributionEndingAt reports whether line i ends an attribution ("On …
// wrote:"), which may be wrapped over up to four lines, and where it
// starts. strong means it names a date or an address besides the verb, so
// that unquoted text below it may be taken as history.
func attributionEndingAt(lines []qline, i int) (start int, strong, ok bool) {
	last := lines[i]
	if last.depth > 0 || !endsWithColon(last.content) || len(last.content) > maxAttributionLen {
		return 0, false, false
	}
	// The widest window: up to four lines that may be one wrapped line.
	first, total := i, -1
	for s := i; s >= 0 && s > i-4; s-- {
		ls := lines[s]
		if ls.depth > 0 || ls.content == "" || s < i && endsSentence(ls.content) {
			break
		}
		if total += len(ls.content) + 1; total > maxAttributionLen {
			break
		}
		first = s
	}
	// Every narrower window is a suffix of the widest, and so is its tail:
	// the verb is looked for once, and a window has it when it starts
	// within the window.
	tail := tailBytes(joinContents(lines[first:i+1]), wroteTail)
	low := strings.ToLower(tail)
	verbAt := lastWroteWordStart(low)
	shared := attrFeatures{
		weakEnd: endsWithWroteWord(strings.TrimRight(low, ":： ")),
		closes:  closesAddress(last.content),
	}
	type candidate struct {
		start  int
		strong bool
	}
	var lead, weakLead, para, single *candidate
	f, size := shared, -1
	for s := i; s >= first; s-- {
		ls := lines[s]
		size += len(ls.content) + 1
		f.addr = f.addr || hasAddress(ls.content)
		hasTime, hasDate := dateParts(ls.content)
		f.date = f.date || hasTime || hasDate
		if len(low) == len(tail) {
			f.wrote = verbAt >= 0 && verbAt >= len(tail)-min(size, len(tail))
		} else { // lowercasing changed the length: look again
			f.wrote = containsWroteWord(strings.ToLower(tailBytes(joinContents(lines[s:i+1]), wroteTail)))
		}
		kind := f.kind()
		if kind == attrNone {
			continue
		}
		c := &candidate{start: s, strong: kind == attrStrong}
		switch {
		case hasAttributionLead(ls.content):
			if lead == nil {
				lead = c
			}
		case startsWithDate(ls.content):
			if weakLead == nil {
				weakLead = c
			}
		case s == i:
			single = c
		case (s == 0 || lines[s-1].content == "" || lines[s-1].depth > 0) && strings.ContainsAny(ls.content, "@<"):
			para = c
		}
	}
	for _, c := range []*candidate{lead, weakLead, para, single} {
		if c != nil {
			return c.start, c.strong, true
		}
	}
	return 0, false, false
}

// tailBytes returns about the last n bytes of s, starting at a rune.
func tailBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	k := len(s) - n
	for k < len(s) && !utf8.RuneStart(s[k]) {
		k++
	}
	return s[k:]
}

func joinContents(lines []qline) string {
	if len(lines) == 1 {
		return lines[0].content
	}
	parts := make([]string, len(lines))
	for k, l := range lines {
		parts[k] = l.content
	}
	return strings.Join(parts, " ")
}

type attributionKind uint8

const (
	attrNone attributionKind = iota
	attrWeak
	attrStrong
)

// dateParts reports whether s holds a time of day (10:55, 10h30) and
// whether it holds a date: a year (2025), a numeric date (06.01.25,
// 1/6/2025) or a CJK one (2025年, 1월). One pass over s, no backtracking.
func dateParts(s string) (hasTime, hasDate bool) {
	isDigit := func(k int) bool { return k < len(s) && s[k] >= '0' && s[k] <= '9' }
	isWordByte := func(k int) bool {
		if k < 0 || k >= len(s) {
			return false
		}
		c := s[k]
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	digitRun := func(k int) int { // end of the digits from k
		for isDigit(k) {
			k++
		}
		return k
	}
	for i := 0; i < len(s); {
		if !isDigit(i) {
			i++
			continue
		}
		e := digitRun(i)
		n := e - i
		switch {
		case n == 4 && (s[i:i+2] == "19" || s[i:i+2] == "20") && !isWordByte(i-1) && !isWordByte(e):
			hasDate = true
		case n <= 2 && e+1 < len(s) && (s[e] == ':' || s[e] == 'h') && digitRun(e+1)-(e+1) >= 2:
			hasTime = true
		case n <= 2 && e < len(s) && strings.IndexByte("./-", s[e]) >= 0:
			m := digitRun(e + 1)
			if k := m - (e + 1); k >= 1 && k <= 2 && m < len(s) && strings.IndexByte("./-", s[m]) >= 0 && digitRun(m+1)-(m+1) >= 2 {
				hasDate = true
			}
		}
		rest := strings.TrimLeft(s[e:], " ")
		if strings.HasPrefix(rest, "年") || strings.HasPrefix(rest, "월") {
			hasDate = true
		}
		i = e
	}
	return hasTime, hasDate
}

// hasAddress reports an address (local@domain.tld) in s.
func hasAddress(s string) bool {
	const stops = " \t<>()@\"'[],;:"
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], '@')
		if k < 0 {
			return false
		}
		k += i
		if k == 0 || strings.IndexByte(stops, s[k-1]) >= 0 {
			i = k + 1
			continue
		}
		e := k + 1
		for e < len(s) && strings.IndexByte(stops, s[e]) < 0 {
			e++
		}
		if dot := strings.LastIndexByte(s[k+1:e], '.'); dot > 0 && dot < e-k-2 {
			return true
		}
		i = e
	}
	return false
}

// wroteTail is how many bytes at the end of an attribution are searched
// for its verb.
const wroteTail = 96

// classifyAttribution tells whether t, ending in a colon, is an
// attribution line. Strong: the verb with a date or address
// ("On Mon, 6 Jan 2025 at 10:00, Ann <ann@example.com> wrote:"), or a
// date and an address just before the colon as Gmail writes in many
// languages ("2014-10-17 11:28 GMT+03:00 Ann <ann@example.com>:").
// Weak: only a name and the verb ("Ann wrote:").
func classifyAttribution(t string) attributionKind {
	if len(t) > maxAttributionLen || !endsWithColon(t) {
		return attrNone
	}
	low := strings.ToLower(tailBytes(t, wroteTail))
	hasTime, hasDate := dateParts(t)
	return attrFeatures{
		wrote:   containsWroteWord(low),
		weakEnd: endsWithWroteWord(strings.TrimRight(low, ":： ")),
		addr:    hasAddress(t),
		date:    hasTime || hasDate,
		closes:  closesAddress(t),
	}.kind()
}

// attrFeatures are what classifyAttribution looks at.
type attrFeatures struct {
	wrote   bool // a verb of wroteWords near the end
	weakEnd bool // ends with such a verb ("Ann wrote:")
	addr    bool // an address
	date    bool // a date or a time
	closes  bool // an address closes it ("…<ann@example.com>:")
}

func (f attrFeatures) kind() attributionKind {
	switch {
	case f.wrote && (f.addr || f.date):
		return attrStrong
	case f.addr && f.date && f.closes:
		return attrStrong
	case f.weakEnd:
		return attrWeak
	}
	return attrNone
}

// looksLikeHistoryHeader reports a line that a client writes above
// quoted history: it ends in a colon, or names an address, or a date
// and a time.
func looksLikeHistoryHeader(s string) bool {
	if len(s) > maxAttributionLen {
		return false
	}
	hasTime, hasDate := dateParts(s)
	return endsWithColon(s) || hasAddress(s) || hasTime && hasDate
}

// closesAddress reports "…<ann@example.com>:" or "…(ann@example.com):".
func closesAddress(t string) bool {
	t = strings.TrimRight(t, ":： ")
	if strings.HasSuffix(t, ">") || strings.HasSuffix(t, ")") || strings.HasSuffix(t, "]") {
		return true
	}
	// A bare address as the last word ("… 10:02 by ann@example.com:", as
	// Tuta writes it).
	last := t[strings.LastIndexAny(t, " \t")+1:]
	at := strings.IndexByte(last, '@')
	return at > 0 && strings.Contains(last[at+1:], ".")
}

func endsWithColon(s string) bool {
	return strings.HasSuffix(s, ":") || strings.HasSuffix(s, "：")
}

// endsSentence reports a line that ends a sentence, which a wrapped
// attribution's first lines never do; "nov." after a number is an
// abbreviation, not an end.
func endsSentence(s string) bool {
	switch {
	case strings.HasSuffix(s, "!"), strings.HasSuffix(s, "?"), strings.HasSuffix(s, "。"),
		strings.HasSuffix(s, "！"), strings.HasSuffix(s, "？"):
		return true
	case strings.HasSuffix(s, "."):
		w := s[:len(s)-1]
		word := w[strings.LastIndexFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })+1:]
		return !(utf8.RuneCountInString(word) <= 4 && strings.ContainsAny(s, "0123456789"))
	}
	return false
}

// wroteByFirstByte and wroteByLastByte index wroteWords by their first
// and last byte; forwardFirstBytes and mobileFirstBytes hold the first
// bytes of forwardWords and mobileSignatures (lowercase).
var (
	wroteByFirstByte, wroteByLastByte = func() (first, last [256][]string) {
		for _, w := range wroteWords {
			first[w[0]] = append(first[w[0]], w)
			last[w[len(w)-1]] = append(last[w[len(w)-1]], w)
		}
		return first, last
	}()
	forwardFirstBytes = firstBytes(forwardWords)
	mobileFirstBytes  = firstBytes(mobileSignatures)
)

func firstBytes(words []string) (set [256]bool) {
	for _, w := range words {
		set[w[0]] = true
		if r, _ := utf8.DecodeRuneInString(w); r >= utf8.RuneSelf {
			// An upper case letter outside ASCII may start with another
			// byte than its lower case: let every such byte through.
			for b := 0xC0; b < 0x100; b++ {
				set[b] = true
			}
		}
	}
	return set
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 32
	}
	return c
}

// containsWroteWord finds one of wroteWords in low, as a word where it is
// written in Latin, Greek or Cyrillic letters.
func containsWroteWord(low string) bool { return lastWroteWordStart(low) >= 0 }

// lastWroteWordStart returns where the last of wroteWords in low starts,
// or -1. One pass over low, from its end.
func lastWroteWordStart(low string) int {
	for k := len(low) - 1; k >= 0; k-- {
		for _, w := range wroteByFirstByte[low[k]] {
			if len(low)-k >= len(w) && low[k+1] == w[1] && low[k:k+len(w)] == w && isWordAt(low, k, k+len(w)) {
				return k
			}
		}
	}
	return -1
}

// endsWithWroteWord reports text that ends with a verb of wroteWords
// ("ann wrote", "---- john smith wrote").
func endsWithWroteWord(low string) bool {
	low = strings.TrimSpace(low)
	if low == "" {
		return false
	}
	for _, w := range wroteByLastByte[low[len(low)-1]] {
		if strings.HasSuffix(low, w) && isWordAt(low, len(low)-len(w), len(low)) {
			return true
		}
	}
	// "napisał(a)", "написал(а)"
	if k := strings.LastIndexByte(low, '('); k > 0 && strings.HasSuffix(low, ")") {
		return endsWithWroteWord(low[:k])
	}
	return false
}

// isWordAt reports whether low[i:j] stands apart from letters around it;
// scripts without spaces between words (CJK) always do.
func isWordAt(low string, i, j int) bool {
	first, _ := utf8.DecodeRuneInString(low[i:])
	if !isSpacedLetter(first) {
		return true
	}
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(low[:i])
		if unicode.IsLetter(r) {
			return false
		}
	}
	if j < len(low) {
		r, _ := utf8.DecodeRuneInString(low[j:])
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// isSpacedLetter reports a letter of a script that separates words with
// spaces.
func isSpacedLetter(r rune) bool {
	return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic, unicode.Hebrew, unicode.Arabic)
}

// hasAttributionLead reports a line that starts like "On …", "Am …".
func hasAttributionLead(s string) bool {
	low := strings.ToLower(s[:min(len(s), 24)])
	for _, w := range attributionLeads {
		if strings.HasPrefix(low, w) {
			rest := low[len(w):]
			if rest == "" {
				return false
			}
			r, _ := utf8.DecodeRuneInString(rest)
			if r == ' ' || !isSpacedLetter([]rune(w)[0]) {
				return true
			}
		}
	}
	return false
}

// startsWithDate reports a line that starts with a date: a digit, or a
// short weekday name and a digit ("Thu, 26 Jun", "пн, 6 янв.").
func startsWithDate(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if unicode.IsDigit(r) {
		return true
	}
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || utf8.RuneCountInString(s[:sp]) > 5 {
		return false
	}
	for _, c := range strings.TrimRight(s[:sp], ".,") {
		if !unicode.IsLetter(c) {
			return false
		}
	}
	next, _ := utf8.DecodeRuneInString(s[sp+1:])
	return unicode.IsDigit(next)
}

// replyBeforeAttribution splits a line where a reply and an attribution
// share a line ("reply On Wed, Apr 4, 2012 at 3:59 PM, bob wrote:"),
// returning the reply.
func replyBeforeAttribution(raw string) (string, bool) {
	if len(raw) > maxAttributionLen || !endsWithColon(strings.TrimSpace(raw)) ||
		hasAttributionLead(strings.TrimSpace(raw)) || startsWithDate(strings.TrimSpace(raw)) {
		return "", false
	}
	for _, lead := range []string{" On ", " Am ", " Le ", " El ", " Em ", " Op ", " Il ", " Den "} {
		k := strings.Index(raw, lead)
		if k <= 0 {
			continue
		}
		prefix := strings.TrimRight(raw[:k], " \t")
		if strings.TrimSpace(prefix) == "" {
			continue
		}
		if classifyAttribution(strings.TrimSpace(raw[k:])) == attrStrong {
			return prefix, true
		}
	}
	return "", false
}

// isSignatureDelimiter reports the "-- " line that starts a signature
// (RFC 3676 4.3), also without its space as many clients send it.
func isSignatureDelimiter(raw string) bool {
	return raw == "-- " || raw == "--"
}

// isMobileSignature reports a phone or app client's signature line.
func isMobileSignature(s string) bool {
	if len(s) > 120 {
		return false
	}
	if s == "" || !mobileFirstBytes[lowerASCII(s[0])] {
		return false
	}
	low := strings.ToLower(s)
	for _, p := range mobileSignatures {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return false
}

// isListFooterAt reports a mailing list's footer starting at line i and
// running to the end: a rule and a few lines naming the list.
func isListFooterAt(lines []qline, i, end int) bool {
	l := lines[i]
	if end-i > 41 || l.depth > 0 || !isSeparatorLine(l.content) {
		return false
	}
	named, n := false, 0
	for j := i + 1; j < end; j++ {
		if j-i > 40 {
			return false
		}
		c := lines[j].content
		if c == "" {
			continue
		}
		if n++; n > 6 {
			return false
		}
		low := strings.ToLower(c)
		if strings.Contains(low, "mailing list") || strings.Contains(low, "/listinfo") ||
			strings.Contains(low, "you received this message because you are subscribed") {
			named = true
		}
	}
	return named
}

// cutValediction cuts a closing line ("Regards,") and the few short lines
// of name and title below it at the end of the text.
func cutValediction(lines []string) []string {
	last := len(lines) - 1
	for last >= 0 && strings.TrimSpace(lines[last]) == "" {
		last--
	}
	for v := max(0, last-6); v <= last; v++ {
		line := lines[v]
		t := strings.TrimRight(strings.ToLower(strings.TrimSpace(line)), ",.!")
		if !isValediction(t) {
			continue
		}
		below, short := 0, true
		for _, after := range lines[v+1:] {
			if a := strings.TrimSpace(after); a != "" {
				below++
				short = short && utf8.RuneCountInString(a) <= 60
			}
		}
		if below <= 5 && short && strings.TrimSpace(strings.Join(lines[:v], "")) != "" {
			return lines[:v]
		}
	}
	return lines
}

func isValediction(t string) bool {
	for _, w := range valedictions {
		if t == w {
			return true
		}
	}
	return false
}
