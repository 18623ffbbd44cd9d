package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// recipientHeaders name every header that says where a mail was delivered.
var recipientHeaders = []string{
	"To", "Cc", "Bcc", "Resent-To", "Resent-Cc",
	"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
}

// Parse turns one raw mail (CRLF or LF line ends) into a Message. It is
// lenient the way an MTA-facing parser must be: missing headers, broken
// multipart boundaries, truncated parts, unknown charsets and bad transfer
// encodings keep whatever can be read. It returns a *ParseError, and only
// that, when the mail cannot be taken at all: it is over opts.MaxSize
// (ErrTooLarge), it has no readable header (ErrUnreadableHeader), or it has
// no usable sender address (ErrNoSender) and is not a delivery report, an
// auto-reply or the daemon's own mail. Parse does not keep raw; m.Auto is
// Classify's verdict with opts.Classify.
func Parse(raw []byte, opts ParseOptions) (*Message, error) {
	limit := opts.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	if int64(len(raw)) > limit {
		have, max := formatSize(int64(len(raw))), formatSize(limit)
		if have == max {
			have, max = strconv.Itoa(len(raw))+" bytes", strconv.FormatInt(limit, 10)+" bytes"
		}
		return nil, &ParseError{Reason: fmt.Sprintf("mail is %s, over the %s limit", have, max), Err: ErrTooLarge}
	}
	data := normalizeNewlines(raw)
	sum := sha256.Sum256(data)
	fields, body := readHeader(data, true)
	if len(fields) == 0 {
		return nil, &ParseError{Reason: "unreadable header: " + whyUnreadable(data), Err: ErrUnreadableHeader}
	}

	m := &Message{
		Size:        len(raw),
		ContentHash: hex.EncodeToString(sum[:]),
		Header:      make(Header, len(fields)),
	}
	for _, f := range fields {
		m.Header[f.key] = append(m.Header[f.key], decodeWords(f.value))
	}
	if ids := parseIDs(fieldValue(fields, "Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = parseIDs(fieldValue(fields, "In-Reply-To"))
	m.References = parseIDs(fieldValue(fields, "References"))
	m.Subject = collapseSpace(decodeWords(fieldValue(fields, "Subject")))
	m.Date = parseDate(m.Header.Get("Date"))

	m.From = pickSender(fields)
	m.ReplyTo = replyTo(fields)
	m.To = usableAddresses(fields, "To")
	m.Cc = usableAddresses(fields, "Cc")
	m.Recipients = recipients(fields)

	w := &walker{}
	w.entity(fields, body, 0, true, "text/plain")
	m.Text = sanitizeText(strings.Join(w.texts, "\n"))
	m.HTML = sanitizeText(strings.Join(w.htmls, "\n"))
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) != "" {
		m.Text = sanitizeText(htmlToText(m.HTML))
		m.TextFromHTML = true
	}
	m.Attachments = w.atts

	m.Auto = Classify(m, opts.Classify)
	if !m.From.Usable() {
		switch m.Auto.Kind {
		case KindBounce, KindFeedbackReport, KindAutoReply, KindOwn:
			// RFC 5321 4.5.5 and RFC 3834 3.3: reports and auto-replies may
			// come from the null sender; they are taken without one. The
			// daemon's own mail is an auto-reply too (Auto-Submitted).
		default:
			return nil, &ParseError{Reason: "no sender address in From, Sender or Return-Path", Err: ErrNoSender}
		}
	}
	return m, nil
}

// normalizeNewlines returns a copy of raw with CRLF turned into LF.
func normalizeNewlines(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for {
		i := bytes.IndexByte(raw, '\r')
		if i < 0 {
			return append(out, raw...)
		}
		out = append(out, raw[:i]...)
		if i+1 >= len(raw) || raw[i+1] != '\n' {
			out = append(out, '\r')
		}
		raw = raw[i+1:]
	}
}

// pickSender takes the first usable address of From, then Sender, then
// Return-Path (RFC 5322 3.6.2, RFC 5321 4.4). Without one it returns the
// first entry seen, which may name the sender without an address.
func pickSender(fields []field) Address {
	var fallback Address
	for _, key := range []string{"From", "Sender", "Return-Path"} {
		for _, f := range fields {
			if f.key != key {
				continue
			}
			for _, a := range parseAddressList(f.value) {
				if a.Usable() {
					return a
				}
				if fallback == (Address{}) {
					fallback = a
				}
			}
		}
	}
	return fallback
}

// replyTo reads the Reply-To fields, where replies go (RFC 5322 3.6.2). When
// one of them is not an address list it gives nothing, and replies go to
// From: a broken Reply-To must not make a fragment of itself the requester.
func replyTo(fields []field) []Address {
	var out []Address
	for _, f := range fields {
		if f.key != "Reply-To" {
			continue
		}
		addrs, ok := parseReplyList(f.value)
		if !ok {
			return nil
		}
		out = append(out, addrs...)
	}
	return out
}

func usableAddresses(fields []field, key string) []Address {
	var out []Address
	for _, f := range fields {
		if f.key != key {
			continue
		}
		for _, a := range parseAddressList(f.value) {
			if a.Usable() {
				out = append(out, a)
			}
		}
	}
	return out
}

func recipients(fields []field) []string {
	var out []string
	seen := make(map[string]bool)
	for _, key := range recipientHeaders {
		for _, f := range fields {
			if f.key != key {
				continue
			}
			for _, a := range parseAddressList(f.value) {
				if !a.Usable() {
					continue
				}
				if k := a.Key(); !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	return out
}

// whyUnreadable says in a few words why no header field could be read.
func whyUnreadable(data []byte) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "the mail is empty"
	}
	head := data
	if len(head) > 512 {
		head = head[:512]
	}
	ctl := 0
	for _, c := range head {
		if c < ' ' && c != '\n' && c != '\t' && c != '\r' {
			ctl++
		}
	}
	if ctl > 0 || !utf8.Valid(head) && ctl == 0 && bytes.Count(head, []byte("\n")) < 2 {
		return "binary data, no header fields"
	}
	line, _ := nextLine(data, 0)
	if len(line) > 60 {
		line = line[:60]
	}
	return fmt.Sprintf("no header fields; the mail starts with %q", strings.ToValidUTF8(string(line), "?"))
}

// formatSize writes a byte count the way people read it.
func formatSize(n int64) string {
	unit := func(v float64, name string) string {
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d %s", int64(v), name)
		}
		return fmt.Sprintf("%.1f %s", v, name)
	}
	switch {
	case n >= 1<<20:
		return unit(float64(n)/(1<<20), "MiB")
	case n >= 1<<10:
		return unit(float64(n)/(1<<10), "KiB")
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
