package mailin

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// This file measures how well Parse reads the corpora: how many subjects
// and visible text parts come out right, and whether any part is lost. The
// figures and what "right" means are in bench/RESULTS.md ("Reading legacy
// and broken mail"); the test fails when either share drops under 98% or a
// part is lost.

// visiblePart is a text a reader sees: a text/plain or text/html leaf that
// is neither an attachment (Content-Disposition attachment, or a file name
// outside the top level) nor inside an attached message; of a
// multipart/alternative only the first non-empty text/plain and the last
// text/html (RFC 2046 5.1.4).
type visiblePart struct {
	html   bool
	flowed bool // format=flowed (RFC 3676): compared without line breaks
	text   string
}

// expectedMail is what an independent reader makes of one mail.
type expectedMail struct {
	name    string
	subject string
	visible []visiblePart
	// contents are the decoded bodies of every leaf, text or binary, that
	// a reader can see or open, each to be found somewhere in the Message:
	// as text (converted to UTF-8) or as the raw bytes of an attachment.
	contents []content
	// unshown counts alternatives that no reader shows (kept in the raw
	// mail, not in Text or HTML).
	unshown  [][]byte
	noBody   bool   // the independent reader could not split the body
	setAside string // why the body's expectation is left out of the counts
}

// content is one decoded leaf body: raw after transfer decoding, and as
// UTF-8 text for text parts.
type content struct {
	raw, text []byte
}

// normText makes texts comparable: LF line ends, no trailing whitespace on
// a line, no blank lines at either end.
func normText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// independentSubject decodes a raw Subject with the standard library's
// RFC 2047 decoder and go-message's charsets.
func independentSubject(raw string) string {
	dec := &mime.WordDecoder{CharsetReader: charset.Reader}
	if s, err := dec.DecodeHeader(raw); err == nil {
		raw = s
	}
	return strings.Join(strings.Fields(raw), " ")
}

// mediaType returns the lowercased media type and parameters of a
// Content-Type or Content-Disposition value, leniently.
func mediaType(v string) (string, map[string]string) {
	t, params, err := mime.ParseMediaType(v)
	if err != nil {
		t, _, _ = strings.Cut(v, ";")
		t = strings.ToLower(strings.TrimSpace(t))
	}
	return t, params
}

// sameText compares an expected visible part with one Parse read.
func sameText(want visiblePart, got string) bool {
	if want.flowed {
		squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
		return squeeze(want.text) == squeeze(got)
	}
	return normText(want.text) == normText(got)
}

// partRole says whether a leaf with this header is visible text.
func partRole(contentType, disposition string, top bool) (html, visible, flowed bool) {
	mt, params := mediaType(contentType)
	if mt == "" || mt == "text" {
		mt = "text/plain"
	}
	disp, dparams := mediaType(disposition)
	named := params["name"] != "" || dparams["filename"] != ""
	if (mt != "text/plain" && mt != "text/html") || disp == "attachment" || named && !top {
		return false, false, false
	}
	return mt == "text/html", true, strings.EqualFold(params["format"], "flowed")
}

// pickAlternative keeps what a reader shows of a multipart/alternative.
func pickAlternative(parts []visiblePart) (shown []visiblePart, unshown [][]byte) {
	plain, html := -1, -1
	for i, p := range parts {
		if !p.html && plain < 0 && strings.TrimSpace(p.text) != "" {
			plain = i
		}
		if p.html {
			html = i
		}
	}
	for i, p := range parts {
		if i == plain || i == html {
			shown = append(shown, p)
		} else {
			unshown = append(unshown, []byte(p.text))
		}
	}
	return shown, unshown
}

// addContent records a part that must not be lost.
func (e *expectedMail) addContent(c content) {
	if len(bytes.TrimSpace(c.raw)) > 0 {
		e.contents = append(e.contents, c)
	}
}

// finish adds the visible parts to the parts that must not be lost.
func (e *expectedMail) finish() {
	for _, v := range e.visible {
		e.addContent(content{raw: []byte(v.text), text: []byte(v.text)})
	}
}

// mime4jSetAside are mime4j expectations that a reader meant for people
// does not share, each with the reason. Their subjects are compared; their
// bodies are left out of the counts and listed.
var mime4jSetAside = map[string]string{
	"malformedHeaderStartsBody-noheader":    "the same bytes as malformedHeader-noheader, read under mime4j's non-default MalformedHeaderStartsBody setting",
	"malformedHeaderStartsBody-nocrlfcrlf":  "the same bytes as malformedHeader-nocrlfcrlf, read under mime4j's non-default MalformedHeaderStartsBody setting",
	"malformedHeader-noheader":              "mime4j takes every line of a mail without header fields for a broken field and shows no body; Parse shows the lines as the body",
	"hdr-fakeout":                           "the header ends at a line holding one space: mime4j folds it into the last field, drops the text after it as broken fields and shows an empty body; Parse shows that text as the body",
	"basic-plain-with-bad-header-separator": "the header ends at a line holding one space: mime4j shows only the text after the next empty line; Parse shows all of it",
	"multi-frag":                            "a base64 GIF runs into free text (\"XXXXXX--unique-boundary-2--\" and an epilogue): both decode the image whole and differ in the stray bytes after its end",
}

// xnode is one element of mime4j's expected-structure XML.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []xnode    `xml:",any"`
}

func (n *xnode) child(name string) *xnode {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == name {
			return &n.Nodes[i]
		}
	}
	return nil
}

func (n *xnode) field(name string) string {
	h := n.child("header")
	if h == nil {
		return ""
	}
	for _, f := range h.Nodes {
		k, v, ok := strings.Cut(strings.TrimLeft(f.Text, "\r\n"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// mime4jExpectation reads mime4j's <name>_decoded.xml and the decoded part
// files beside it.
func mime4jExpectation(xmlPath string) (expectedMail, error) {
	spec, err := os.ReadFile(xmlPath)
	if err != nil {
		return expectedMail{}, err
	}
	var root xnode
	if err := xml.Unmarshal(spec, &root); err != nil {
		return expectedMail{}, fmt.Errorf("reading %s: %w", xmlPath, err)
	}
	e := expectedMail{name: filepath.Base(strings.TrimSuffix(xmlPath, "_decoded.xml"))}
	e.subject = independentSubject(root.field("Subject"))
	dir := filepath.Dir(xmlPath)
	var walk func(n *xnode, top, inMessage bool, defType string) []visiblePart
	walk = func(n *xnode, top, inMessage bool, defType string) []visiblePart {
		ct := n.field("Content-Type")
		if ct == "" {
			ct = defType
		}
		if mp := n.child("multipart"); mp != nil {
			mt, _ := mediaType(ct)
			childType := "text/plain"
			if mt == "multipart/digest" {
				childType = "message/rfc822"
			}
			var parts []visiblePart
			for i := range mp.Nodes {
				if mp.Nodes[i].XMLName.Local == "body-part" {
					parts = append(parts, walk(&mp.Nodes[i], false, inMessage, childType)...)
				}
			}
			if mt == "multipart/alternative" {
				shown, unshown := pickAlternative(parts)
				e.unshown = append(e.unshown, unshown...)
				return shown
			}
			return parts
		}
		if msg := n.child("message"); msg != nil {
			walk(msg, true, true, "text/plain")
			return nil
		}
		for _, kind := range []string{"text-body", "binary-body"} {
			b := n.child(kind)
			if b == nil {
				continue
			}
			name := ""
			for _, a := range b.Attrs {
				if a.Name.Local == "name" {
					name = a.Value
				}
			}
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil
			}
			c := content{raw: data}
			if kind == "text-body" {
				_, params := mediaType(ct)
				c.text = []byte(decodeCharsetIndependently(params["charset"], data))
			}
			html, visible, flowed := partRole(ct, n.field("Content-Disposition"), top)
			if kind == "text-body" && visible && !inMessage {
				return []visiblePart{{html: html, flowed: flowed, text: string(c.text)}}
			}
			e.addContent(c)
		}
		return nil
	}
	e.visible = walk(&root, true, false, "text/plain")
	e.finish()
	e.setAside = mime4jSetAside[e.name]
	return e, nil
}

// decodeCharsetIndependently converts with go-message's charsets, and UTF-7
// through decodeUTF7 (x/text has none).
// Unlabelled 8-bit text is read as windows-1252, as Thunderbird does in
// Western locales.
func decodeCharsetIndependently(cs string, data []byte) string {
	cs = strings.ToLower(strings.Trim(cs, `"' `))
	switch {
	case (cs == "" || cs == "us-ascii") && !utf8.Valid(data):
		cs = "windows-1252"
	case cs == "" || cs == "us-ascii" || cs == "utf-8":
		return string(data)
	case utf7Labels[cs]:
		return decodeUTF7(data)
	}
	r, err := charset.Reader(cs, bytes.NewReader(data))
	if err != nil {
		return string(data)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(data)
	}
	return string(out)
}

// goMessageExpectation reads a mail with go-message, a strict MIME reader,
// as the independent reader of the MimeKit corpus. Where go-message cannot
// split the body, only the subject is compared (noBody).
func goMessageExpectation(name string, raw []byte) expectedMail {
	e := expectedMail{name: name}
	fields, _ := readHeader(normalizeNewlines(raw), true)
	e.subject = independentSubject(string(fieldValue(fields, "Subject")))
	// go-message takes neither an mbox "From " line nor a byte order mark.
	strict := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(strict, []byte("From ")) {
		if i := bytes.IndexByte(strict, '\n'); i >= 0 {
			strict = strict[i+1:]
		}
	}
	ent, err := message.Read(bytes.NewReader(strict))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		e.noBody = true
		return e
	}
	var walk func(ent *message.Entity, top bool) ([]visiblePart, error)
	walk = func(ent *message.Entity, top bool) ([]visiblePart, error) {
		mt, _, _ := ent.Header.ContentType()
		if mr := ent.MultipartReader(); mr != nil {
			var parts []visiblePart
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
					return nil, err
				}
				sub, err := walk(p, false)
				if err != nil {
					return nil, err
				}
				parts = append(parts, sub...)
			}
			if mt == "multipart/alternative" {
				shown, unshown := pickAlternative(parts)
				e.unshown = append(e.unshown, unshown...)
				return shown, nil
			}
			return parts, nil
		}
		data, err := io.ReadAll(ent.Body)
		if err != nil {
			return nil, err
		}
		html, visible, flowed := partRole(ent.Header.Get("Content-Type"), ent.Header.Get("Content-Disposition"), top)
		if visible {
			return []visiblePart{{html: html, flowed: flowed, text: string(data)}}, nil
		}
		// go-message converts text/* to UTF-8 and leaves other parts raw.
		e.addContent(content{raw: data, text: data})
		return nil, nil
	}
	vis, err := walk(ent, true)
	if err != nil {
		e.noBody = true
		e.contents, e.unshown = nil, nil
		return e
	}
	e.visible = vis
	e.finish()
	return e
}

// testdataExpectations are the project's own legacy-client and broken
// mails, read by hand.
var testdataExpectations = []expectedMail{
	{name: "alternative-unclosed.eml", subject: "Calendar shows the wrong time zone", visible: []visiblePart{
		{text: "Meetings show one hour late since the change to summer time."},
		{html: true, text: "<p>Meetings show one hour late since the change to summer time.</p>"},
		{text: "Second note: the mobile app shows the right time."}}},
	{name: "alternative.eml", subject: "Printer on fire", visible: []visiblePart{
		{text: "The printer is on fire."},
		{html: true, text: "<p>The printer is <b>on fire</b>.</p>"}}},
	{name: "attachments.eml", subject: "Invoice", visible: []visiblePart{
		{html: true, text: `<p>Logo: <img src="cid:logo@x" alt="logo"></p>`}}},
	{name: "base64-body.eml", subject: "Base64", visible: []visiblePart{{text: "Hello from a base64 body.\nSecond line: ünïcödé."}}},
	{name: "boundary-prefix-closing.eml", subject: "Invoice 2291 is wrong", visible: []visiblePart{
		{text: "The total on invoice 2291 counts the license twice."},
		{html: true, text: "<p>The total on invoice 2291 counts the license <b>twice</b>.</p>"},
		{text: "Sent from the accounts office."}}},
	{name: "boundary-prefix-nested.eml", subject: "VPN drops every hour", visible: []visiblePart{
		{text: "The VPN drops every hour on the hour."},
		{html: true, text: "<p>The VPN drops every hour on the hour.</p>"},
		{text: "Omar"}}},
	{name: "boundary-reused.eml", subject: "Password reset mail never arrives", visible: []visiblePart{
		{text: "I asked for a password reset three times; no mail came. Übel."},
		{html: true, text: "<p>I asked for a password reset three times; no mail came.</p>"},
		{text: "My user name is mwong."}}},
	{name: "boundary-spaces.eml", subject: "Logo missing in the PDF export", visible: []visiblePart{
		{text: "The logo is missing when I export to PDF."},
		{html: true, text: `<p>The logo is missing when I export to PDF.<img src="cid:logo"></p>`},
		{text: "Sam"}}},
	{name: "cp1252-body.eml", subject: "Menu", visible: []visiblePart{{text: "Le café – naïve, 5 €."}}},
	{name: "folded-references.eml", subject: "Re: [HD#1042] Login problem", visible: []visiblePart{{text: "Still broken."}}},
	{name: "html-only.eml", subject: "HTML only"}, // visible HTML checked in TestParse
	{name: "iso2022jp.eml", subject: "日本語の件名", visible: []visiblePart{{text: "こんにちは、世界。"}}},
	{name: "lf-only.eml", subject: "Plain LF mail", visible: []visiblePart{{text: "Line one\nLine two"}}},
	{name: "missing-subject.eml", subject: "", visible: []visiblePart{{text: "No subject here."}}},
	{name: "nested-rfc822.eml", subject: "Fwd: Original question", visible: []visiblePart{{text: "See the forwarded mail below."}}},
	{name: "no-message-id.eml", subject: "No id", visible: []visiblePart{{text: "Body without id."}}},
	{name: "outer-closes-inner.eml", subject: "Export to CSV stops halfway", visible: []visiblePart{
		{text: "The export to CSV stops at row 65536."},
		{html: true, text: "<p>The export to CSV stops at row 65536.</p>"}}},
	{name: "qp-utf8.eml", subject: "Grüße aus Köln", visible: []visiblePart{
		{text: "Schöne Grüße, this line is long and is broken by a soft line break here.\nA literal = sign and 100% = done."}}},
	{name: "utf7-alternative.eml", subject: "Re: «Imprimante éteinte »", visible: []visiblePart{
		{text: "L'imprimante du 2éme étage ne répond plus.\nMerci d'avance."},
		{html: true, text: "<HTML><BODY>\n<P>L'imprimante du 2éme étage ne répond plus.</P>\n</BODY></HTML>"}}},
	{name: "utf7-mobile.eml", subject: "Frösche und Kröten", visible: []visiblePart{
		{html: true, text: "<p>Die Frösche sind weg 日本語 😀</p>"}}},
	{name: "utf7-outlook.eml", subject: "Frösche im Teich", visible: []visiblePart{
		{text: "Hallo,\n\ndie Frösche quaken. Preis: 5 €, und 1 + 1 = 2.\n日本語"}}},
}

// readingScore adds up the comparisons of one corpus.
type readingScore struct {
	mails, subjects, subjectsRight, texts, textsRight, contents, lost, unshown int
	noBody, setAside                                                           []string
	wrong                                                                      []string
}

func (s *readingScore) add(o readingScore) {
	s.mails += o.mails
	s.subjects += o.subjects
	s.subjectsRight += o.subjectsRight
	s.texts += o.texts
	s.textsRight += o.textsRight
	s.contents += o.contents
	s.lost += o.lost
	s.unshown += o.unshown
	s.noBody = append(s.noBody, o.noBody...)
	s.setAside = append(s.setAside, o.setAside...)
	s.wrong = append(s.wrong, o.wrong...)
}

func (s readingScore) String() string {
	return fmt.Sprintf("%d mails: subjects right %d/%d, texts right %d/%d, lost %d of %d parts (alternatives not shown: %d; bodies set aside: %d; bodies without an independent reading: %d)",
		s.mails, s.subjectsRight, s.subjects, s.textsRight, s.texts, s.lost, s.contents, s.unshown, len(s.setAside), len(s.noBody))
}

// scoreMail compares Parse's reading of raw with e. A visible part is
// right when one text or HTML part Parse read (before joining) is equal to
// it after normText, each used once; a part is lost when its content is in
// neither Text, HTML, an attachment nor an attached message.
func scoreMail(raw []byte, e expectedMail) readingScore {
	s := readingScore{mails: 1, subjects: 1}
	m, err := Parse(raw, ParseOptions{})
	if err != nil {
		s.wrong = append(s.wrong, e.name+": "+err.Error())
		s.texts, s.contents, s.lost = len(e.visible), len(e.contents), len(e.contents)
		return s
	}
	if m.Subject == e.subject {
		s.subjectsRight++
	} else {
		s.wrong = append(s.wrong, fmt.Sprintf("%s: subject %q, want %q", e.name, m.Subject, e.subject))
	}
	if e.noBody {
		s.noBody = append(s.noBody, e.name)
		return s
	}
	if e.setAside != "" {
		s.setAside = append(s.setAside, e.name+": "+e.setAside)
		return s
	}
	fields, body := readHeader(normalizeNewlines(raw), true)
	w := &walker{}
	w.entity(fields, body, 0, true, "text/plain")
	used := map[int]bool{}
	for _, v := range e.visible {
		s.texts++
		got := w.texts
		offset := 0
		if v.html {
			got, offset = w.htmls, len(w.texts)
		}
		same := func(g string) bool { return sameText(v, sanitizeText(g)) }
		i := slices.IndexFunc(got, same)
		for i >= 0 && used[offset+i] {
			j := slices.IndexFunc(got[i+1:], same)
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i >= 0 {
			used[offset+i] = true
			s.textsRight++
		} else {
			s.wrong = append(s.wrong, fmt.Sprintf("%s: %s part %q not read as one part", e.name, map[bool]string{false: "text", true: "HTML"}[v.html], head(normText(v.text), 60)))
		}
	}
	pool := collectContent(m, 0)
	for _, c := range e.contents {
		s.contents++
		text := normText(string(c.text))
		squeezed := strings.Join(strings.Fields(text), "")
		found := false
		raw := bytes.TrimSpace(bytes.ReplaceAll(c.raw, []byte("\r\n"), []byte("\n")))
		for _, p := range pool {
			if bytes.Contains(p, c.raw) || bytes.Contains(p, raw) || len(c.text) > 0 && (strings.Contains(normText(string(p)), text) || strings.Contains(strings.Join(strings.Fields(string(p)), ""), squeezed)) {
				found = true
				break
			}
		}
		if !found {
			s.lost++
			s.wrong = append(s.wrong, fmt.Sprintf("%s: part %q lost", e.name, head(strings.ToValidUTF8(text, "?"), 60)))
		}
	}
	s.unshown = len(e.unshown)
	return s
}

func TestCorpusIsReadRight(t *testing.T) {
	var total readingScore
	report := func(name string, s readingScore) {
		t.Logf("%s: %v", name, s)
		for _, w := range s.wrong {
			t.Logf("  %s", w)
		}
		for _, w := range s.setAside {
			t.Logf("  set aside: %s", w)
		}
		if len(s.noBody) > 0 {
			t.Logf("  no independent reading of the body: %s", strings.Join(s.noBody, ", "))
		}
		total.add(s)
	}

	var own readingScore
	for _, e := range testdataExpectations {
		e.finish()
		own.add(scoreMail(readFixture(t, e.name), e))
	}
	report("testdata", own)

	if dir := filepath.Join(repoRoot(t), "..", "shared", "corpus"); dirExists(dir) {
		var m4 readingScore
		xmls, _ := filepath.Glob(filepath.Join(dir, "mime4j", "*", "*_decoded.xml"))
		for _, x := range xmls {
			raw, err := os.ReadFile(strings.TrimSuffix(x, "_decoded.xml") + ".msg")
			if err != nil {
				continue
			}
			e, err := mime4jExpectation(x)
			if err != nil {
				t.Fatal(err)
			}
			// Most mime4j cases have no sender; Parse would quarantine them.
			m4.add(scoreMail(append([]byte("From: corpus@example.org\n"), raw...), e))
		}
		report("mime4j", m4)

		for _, name := range []string{"mimekit", "sisimai", "replies"} {
			var sc readingScore
			for _, f := range corpusFiles(t, filepath.Join(dir, name)) {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				// A sender for the few that have none (Parse would quarantine them).
				raw = append([]byte("Return-Path: <corpus@example.org>\n"), raw...)
				sc.add(scoreMail(raw, goMessageExpectation(filepath.Base(f), raw)))
			}
			report(name, sc)
		}
	} else {
		t.Logf("corpus folder %s is absent: measuring testdata only", dir)
	}

	t.Logf("all: %v", total)
	t.Logf("subjects right %d/%d, texts right %d/%d, lost %d", total.subjectsRight, total.subjects, total.textsRight, total.texts, total.lost)
	if total.subjectsRight*100 < total.subjects*98 || total.textsRight*100 < total.texts*98 {
		t.Errorf("under 98%%: subjects right %d/%d, texts right %d/%d", total.subjectsRight, total.subjects, total.textsRight, total.texts)
	}
	if total.lost > 0 {
		t.Errorf("%d parts lost", total.lost)
	}
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}
