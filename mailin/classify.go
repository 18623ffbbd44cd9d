package mailin

import (
	"regexp"
	"strings"
)

// AutoKind says which kind of machine sent a mail; "" means a person wrote it.
type AutoKind string

// The kinds of automatic mail, in the order Classify prefers them when
// several apply: own > bounce > feedback-report > auto-reply > list > bulk.
const (
	KindPerson         AutoKind = ""
	KindOwn            AutoKind = "own"             // the daemon's own mail come back
	KindBounce         AutoKind = "bounce"          // a delivery status notification
	KindFeedbackReport AutoKind = "feedback-report" // an abuse/spam complaint (ARF)
	KindAutoReply      AutoKind = "auto-reply"      // out-of-office, vacation, read receipt, any auto-submitted mail
	KindList           AutoKind = "list"            // mail through a mailing list
	KindBulk           AutoKind = "bulk"            // newsletters and other bulk mail
)

// AutoClass is the verdict of Classify.
type AutoClass struct {
	Kind   AutoKind
	Reason string // what decided it, e.g. "Auto-Submitted: auto-replied"
	// OriginalMessageIDs holds, for bounces and feedback reports, the
	// Message-IDs of the original mail found in the report (a message/rfc822
	// or text/rfc822-headers part, the body, or In-Reply-To as a last resort).
	OriginalMessageIDs []string
	// FailedRecipients holds, for bounces, the lowercased addresses that
	// failed (Final-Recipient / Original-Recipient with Action: failed,
	// X-Failed-Recipients, or address lines of the report text).
	FailedRecipients []string
}

// ClassifyOptions tells Classify how to recognise the daemon's own mail.
type ClassifyOptions struct {
	// OwnLoopHeader is the header the daemon puts on every mail it sends,
	// e.g. "X-Helpdesk-Loop"; "" disables the check.
	OwnLoopHeader string
	// OwnDomains are the Message-ID domains of the daemon's own mail.
	OwnDomains []string
}

// Classify decides whether a machine sent m, and which kind. Parse fills
// m.Auto with zero options; a caller that knows its own loop header and
// domains calls Classify again.
func Classify(m *Message, opts ClassifyOptions) AutoClass {
	if r := ownReason(m, opts); r != "" {
		return AutoClass{Kind: KindOwn, Reason: r}
	}
	mt, params := parseParams([]byte(m.Header.Get("Content-Type")))
	reportType := ""
	if mt == "multipart/report" {
		reportType = strings.ToLower(strings.TrimSpace(params["report-type"]))
	}
	if r := bounceReason(m, reportType); r != "" {
		return AutoClass{
			Kind:               KindBounce,
			Reason:             r,
			OriginalMessageIDs: originalMessageIDs(m),
			FailedRecipients:   failedRecipients(m),
		}
	}
	// RFC 5965 2: an ARF report is multipart/report; report-type=feedback-report.
	if reportType == "feedback-report" || hasPart(m, "message/feedback-report") {
		return AutoClass{Kind: KindFeedbackReport, Reason: "RFC 5965 feedback report", OriginalMessageIDs: originalMessageIDs(m)}
	}
	if r := otherFeedbackReason(m); r != "" {
		return AutoClass{Kind: KindFeedbackReport, Reason: r, OriginalMessageIDs: originalMessageIDs(m)}
	}
	if r := autoReplyReason(m, reportType); r != "" {
		return AutoClass{Kind: KindAutoReply, Reason: r}
	}
	if r := listReason(m); r != "" {
		return AutoClass{Kind: KindList, Reason: r}
	}
	switch p := precedence(m); p {
	case "bulk", "junk":
		// RFC 3834 2 mentions Precedence as a de-facto marker of bulk mail.
		return AutoClass{Kind: KindBulk, Reason: "Precedence: " + p}
	}
	return AutoClass{}
}

func ownReason(m *Message, opts ClassifyOptions) string {
	if opts.OwnLoopHeader != "" && m.Header.Has(opts.OwnLoopHeader) {
		return opts.OwnLoopHeader + " header present"
	}
	if i := strings.LastIndexByte(m.MessageID, '@'); i >= 0 {
		d := strings.ToLower(strings.TrimSpace(m.MessageID[i+1:]))
		for _, own := range opts.OwnDomains {
			if own = strings.ToLower(strings.TrimSpace(own)); own != "" && d == own {
				return "Message-ID domain " + d + " is ours"
			}
		}
	}
	return ""
}

func precedence(m *Message) string {
	p := m.Header.Get("Precedence")
	if p == "" {
		p = m.Header.Get("X-Precedence")
	}
	return strings.ToLower(strings.TrimSpace(p))
}

func hasPart(m *Message, contentType string) bool {
	for _, a := range m.Attachments {
		if a.ContentType == contentType {
			return true
		}
	}
	return false
}

// bounceSubjects begin the subjects that MTAs give their delivery failure
// reports (Postfix, Exim, Sendmail, qmail, Exchange and Office 365 in
// several languages, Gmail, Lotus Notes). They are specific enough to
// decide alone.
var bounceSubjects = []string{
	"undelivered mail returned to sender", // Postfix
	"delivery status notification",        // Gmail, Exchange, Sendmail, OpenSMTPD
	"mail delivery failed",                // Exim: "Mail delivery failed: returning message to sender"
	"undeliverable:",                      // Exchange: "Undeliverable: <subject>"
	"undeliverable mail",                  // IMail, MailMarshal
	"undeliverable message",
	"failure notice",                             // qmail
	"returned mail:",                             // Sendmail: "Returned mail: see transcript for details"
	"mail system error - returned mail",          // Eudora, EZweb
	"delivery notification: delivery has failed", // Lotus Notes
	"delivery failure:",                          // Lotus Domino: "DELIVERY FAILURE: User ... not listed"
	"warning: could not send message for past",   // Sendmail delay warning
	"message delivery has failed",                // MailFoundry
	"mail could not be delivered",                // Trend Micro
	"unzustellbar:",                              // German Exchange
	"non remis :", "non remis:",                  // French Exchange
	"no se puede entregar:",            // Spanish Exchange
	"non recapitabile:",                // Italian Exchange
	"onbestelbaar:",                    // Dutch Exchange
	"não é possível entregar:",         // Portuguese Exchange
	"kan ikke leveres:",                // Norwegian/Danish Exchange
	"ej levererbart:", "olevererbart:", // Swedish Exchange
	"nie można dostarczyć:",                    // Polish Exchange
	"nedoručitelné:",                           // Czech Exchange
	"не удается доставить:", "недоставляемое:", // Russian Exchange
	"配信不能:", "送信不能:", // Japanese Exchange
	"无法传递:", "無法傳遞:", // Chinese Exchange
}

// genericBounceSubjects also begin bounce subjects, but a customer could
// write them too ("Delivery failure" of a parcel): they count only when
// the sender is a mail system.
var genericBounceSubjects = []string{
	"mail delivery", "delivery failure", "delivery failed", "delivery has failed", "delivery report",
	"undeliverable", "undelivered", "returned mail", "mail returned", "returned to sender",
	"message not delivered", "message could not be delivered", "non-delivery", "non delivery",
	"nondeliverable", "could not send message", "error sending message", "bounced mail",
	"message delivery failure", "failure delivery",
}

// failurePhrases are evidence of a delivery failure when the sender is a
// mail system (MAILER-DAEMON, postmaster, the null sender).
var failurePhrases = []string{
	"undeliver", "undelivered", "not delivered", "could not be delivered", "couldn't be delivered",
	"was not delivered", "delivery fail", "failed delivery", "delivery status", "delivery notification",
	"delivery report", "delivery problem", "delivery error", "failure notice", "returned mail",
	"returned to sender", "mail delivery", "non-delivery", "nondeliver", "permanent error",
	"permanent fatal", "fatal error", "unable to deliver", "could not deliver", "cannot deliver",
	"can't deliver", "user unknown", "unknown user", "no such user", "mailbox unavailable",
	"mailbox not found", "does not exist", "address rejected", "recipient rejected", "rejected",
	"message bounced", "bounce", "mailbox is full", "over quota", "quota exceeded", "delivery has failed",
	"delivery to the following recipient", "unzustellbar", "transcript of session",
	"the following addresses had", "this is the mail system", "this is the qmail-send program",
	"i'm sorry to have to inform you", "i'm afraid i wasn't able", "550 ", "554 ", "553 ", "5.1.1", "5.0.0",
	"5.7.1", "4.4.7", "smtp error", "host unknown", "message expired", "retry timeout exceeded",
	"could not be sent", "error in processing", "delay", "warning: message", "fail", "returning message",
	"returning to sender", "unknown host",
}

// hasPrefixAny returns the first phrase that begins s. A phrase that ends
// in ':' or ' ' may be followed by anything; any other phrase must end the
// subject or be followed by ':' or '(' ("Out of Office: ...",
// "Delivery Status Notification (Failure)"), so that a customer's
// "Out of office setup is broken" stays a person's mail.
func hasPrefixAny(s string, phrases []string) string {
	for _, p := range phrases {
		if !strings.HasPrefix(s, p) {
			continue
		}
		if strings.HasSuffix(p, ":") || strings.HasSuffix(p, " ") {
			return p
		}
		rest := strings.TrimLeft(s[len(p):], " \t\u00a0")
		if rest == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "：") || strings.HasPrefix(rest, "(") {
			return p
		}
	}
	return ""
}

func startsWithAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func containsAny(s string, subs []string) string {
	for _, p := range subs {
		if strings.Contains(s, p) {
			return p
		}
	}
	return ""
}

// systemSender reports whether the sender is a mail system account
// (RFC 5321 4.5.1 postmaster, the MAILER-DAEMON convention) or the null sender.
func systemSender(m *Message) bool {
	local := strings.ToLower(m.From.Email)
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	switch local {
	case "mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster", "mdaemon", "mailer", "mail.daemon":
		return true
	}
	if strings.HasPrefix(local, "microsoftexchange") { // Exchange Online NDRs
		return true
	}
	name := strings.ToLower(m.From.Name)
	return strings.Contains(name, "mailer-daemon") || strings.Contains(name, "mail delivery") ||
		strings.Contains(name, "postmaster") || strings.Contains(local, "mailer-daemon")
}

// nullReturnPath reports whether the envelope sender was null (RFC 5321
// 4.5.5: reports are sent with "MAIL FROM:<>").
func nullReturnPath(m *Message) bool {
	for _, v := range m.Header.Values("Return-Path") {
		if strings.Trim(v, " \t<>") == "" {
			return true
		}
	}
	return false
}

func bounceReason(m *Message, reportType string) string {
	// RFC 3464 2 and RFC 6522: a DSN is multipart/report; report-type=delivery-status.
	switch reportType {
	case "delivery-status", "global-delivery-status":
		return "RFC 3464 delivery-status report"
	}
	if hasPart(m, "message/delivery-status") || hasPart(m, "message/global-delivery-status") {
		return "RFC 3464 delivery-status part"
	}
	// Exim names the failed addresses in X-Failed-Recipients.
	if m.Header.Has("X-Failed-Recipients") {
		return "X-Failed-Recipients header"
	}
	// Amazon SES reports bounces as JSON in an SNS notification mail.
	if m.Header.Has("X-Amz-Sns-Message-Id") {
		if sm := sesTypeRE.FindStringSubmatch(m.Text); sm != nil && sm[1] == "Bounce" {
			return "Amazon SES bounce notification"
		}
	}
	subj := strings.ToLower(m.Subject)
	if p := hasPrefixAny(subj, bounceSubjects); p != "" {
		return "bounce subject \"" + m.Subject + "\""
	}
	if (systemSender(m) || nullReturnPath(m)) && startsWithAny(subj, genericBounceSubjects) {
		return "mail-system sender with bounce subject \"" + m.Subject + "\""
	}
	// A person at postmaster@ answering in a thread is not a bounce.
	if systemSender(m) && !(isReply(subj) && !strings.Contains(strings.ToLower(m.From.Email), "daemon")) {
		if p := containsAny(subj, failurePhrases); p != "" {
			return "mail-system sender with delivery-failure subject \"" + m.Subject + "\""
		}
		if p := containsAny(head(strings.ToLower(m.Text), 4096), failurePhrases); p != "" {
			return "mail-system sender with delivery-failure text (\"" + p + "\")"
		}
	}
	if nullReturnPath(m) {
		if p := containsAny(subj, failurePhrases); p != "" {
			return "Return-Path <> with delivery-failure subject \"" + m.Subject + "\""
		}
		if p := containsAny(head(strings.ToLower(m.Text), 4096), failurePhrases); p != "" && p != "delay" && p != "rejected" && p != "bounce" {
			return "Return-Path <> with delivery-failure text (\"" + p + "\")"
		}
	}
	return ""
}

// isReply reports whether a lowercased subject starts like a reply or a forward.
func isReply(subj string) bool {
	for _, p := range []string{"re:", "re :", "aw:", "fw:", "fwd:", "wg:", "tr:", "sv:", "vs:", "odp:"} {
		if strings.HasPrefix(subj, p) {
			return true
		}
	}
	return false
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// outOfOfficeSubjects begin the subjects of vacation and out-of-office
// replies in common languages.
var outOfOfficeSubjects = []string{
	"out of office", "out of office autoreply", "out of the office", "automatic reply", "auto reply", "auto-reply", "autoreply",
	"auto response", "auto-response", "autoresponse", "automatic response",
	"vacation reply", "away from my mail",
	"abwesenheitsnotiz", "automatische antwort", "abwesend:", "außer haus", "ausser haus", // German
	"réponse automatique", "reponse automatique", "absence du bureau", "absent du bureau", // French
	"risposta automatica", "fuori sede", // Italian
	"respuesta automática", "respuesta automatica", "fuera de la oficina", // Spanish
	"resposta automática", "resposta automatica", "ausência temporária", // Portuguese
	"automatisch antwoord", "afwezig", // Dutch
	"autosvar", "automatiskt svar", "automatisk svar", "frånvaro", "fravær", // Nordic
	"automaattinen vastaus", "poissa", // Finnish
	"automatyczna odpowiedź", "odpowiedź automatyczna", // Polish
	"automatická odpověď",               // Czech
	"автоматический ответ", "автоответ", // Russian
	"自動応答", "自動返信", "不在", // Japanese
	"自动回复", "自動回覆", // Chinese
	"자동 회신", "부재중", // Korean
	"otomatik yanıt", // Turkish
}

// autoReplyHeaders mark auto-responders that predate RFC 3834.
var autoReplyHeaders = []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response", "X-Autoreply-From", "X-Mail-Autoreply", "X-Autogenerated"}

func autoReplyReason(m *Message, reportType string) string {
	// RFC 3834 5: any Auto-Submitted value other than "no" is automatic.
	if v := m.Header.Get("Auto-Submitted"); v != "" {
		tok := strings.ToLower(strings.TrimSpace(v))
		if i := strings.IndexAny(tok, ";( \t"); i >= 0 {
			tok = tok[:i]
		}
		if tok != "no" && tok != "" {
			return "Auto-Submitted: " + tok
		}
	}
	for _, h := range autoReplyHeaders {
		if vs := m.Header.Values(h); len(vs) > 0 {
			v := strings.ToLower(strings.TrimSpace(vs[0]))
			if v != "no" && v != "false" && v != "0" {
				return h + " header present"
			}
		}
	}
	if precedence(m) == "auto_reply" {
		return "Precedence: auto_reply"
	}
	if m.Header.Has("X-Amz-Sns-Message-Id") {
		return "Amazon SNS notification"
	}
	// Exchange puts X-Auto-Response-Suppress on its own automatic mail
	// (out-of-office, recalls, rule replies) so that others do not answer.
	if m.Header.Has("X-Auto-Response-Suppress") {
		return "X-Auto-Response-Suppress header present"
	}
	for k := range m.Header {
		if strings.HasPrefix(k, "X-Ms-Exchange-Generated") {
			return k + " header present"
		}
	}
	// RFC 8098 3: read receipts are multipart/report; report-type=disposition-notification.
	if reportType == "disposition-notification" || hasPart(m, "message/disposition-notification") {
		return "RFC 8098 disposition notification"
	}
	subj := strings.ToLower(m.Subject)
	if p := hasPrefixAny(subj, outOfOfficeSubjects); p != "" {
		return "out-of-office subject \"" + m.Subject + "\""
	}
	// Lotus Notes: "AUTO: Kim is out of the office (returning 03/10/2025)".
	if strings.HasPrefix(subj, "auto:") && containsAny(subj, []string{"out of the office", "out of office", "außer haus", "ausser haus", "absent", "abwesend", "returning"}) != "" {
		return "out-of-office subject \"" + m.Subject + "\""
	}
	return ""
}

var sesTypeRE = regexp.MustCompile(`notificationType\\?"\s*:\s*\\?"(\w+)`)

// otherFeedbackReason recognises complaint reports that predate ARF or
// are not MIME reports: Microsoft's JMRP (the complained-about mail is
// attached with an X-HmXmrOriginalRecipient header) and Amazon SES
// complaint notifications.
func otherFeedbackReason(m *Message) string {
	for _, a := range m.Attachments {
		if a.ContentType == "message/rfc822" {
			fs, _ := readHeader(a.Data, true)
			if fieldValue(fs, "X-Hmxmroriginalrecipient") != nil {
				return "Microsoft JMRP complaint report"
			}
		}
	}
	if m.Header.Has("X-Amz-Sns-Message-Id") {
		if sm := sesTypeRE.FindStringSubmatch(m.Text); sm != nil && sm[1] == "Complaint" {
			return "Amazon SES complaint notification"
		}
	}
	return ""
}

func listReason(m *Message) string {
	// RFC 2919 (List-Id) and RFC 2369 (List-* URLs).
	if v := m.Header.Get("List-Id"); v != "" {
		return "List-Id: " + v
	}
	for _, h := range []string{"List-Unsubscribe", "List-Post", "Mailing-List", "X-Mailing-List"} {
		if m.Header.Has(h) {
			return h + " header present"
		}
	}
	if precedence(m) == "list" {
		return "Precedence: list"
	}
	return ""
}

// originalMessageIDs finds the Message-IDs of the mail a report is about.
func originalMessageIDs(m *Message) []string {
	var ids []string
	seen := map[string]bool{"": true, m.MessageID: true}
	add := func(list []string) {
		for _, id := range list {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	for _, a := range m.Attachments {
		switch a.ContentType {
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers", "message/global-headers", "message/partial":
			fs, _ := readHeader(a.Data, true)
			add(parseIDs(fieldValue(fs, "Message-Id")))
		}
	}
	if len(ids) == 0 {
		add(messageIDLines(m.Text))
		for _, a := range m.Attachments {
			if strings.HasPrefix(a.ContentType, "text/") || strings.HasPrefix(a.ContentType, "message/") {
				add(messageIDLines(string(a.Data)))
			}
		}
	}
	if len(ids) == 0 {
		// Exchange and others answer the original: In-Reply-To names it.
		add(m.InReplyTo)
	}
	return ids
}

var idLineRE = regexp.MustCompile(`(?im)^[\s>]*(?:x-)?(?:original-)?message-id:[ \t]*(?:\n[ \t]+)?(<[^>\n]+>|[^\s<>]+@[^\s<>]+)`)

// messageIDLines finds "Message-ID: <...>" lines in a report text.
func messageIDLines(s string) []string {
	if !strings.Contains(strings.ToLower(s), "message-id") {
		return nil
	}
	var ids []string
	for _, m := range idLineRE.FindAllStringSubmatch(s, 20) {
		ids = append(ids, parseIDs([]byte(m[1]))...)
	}
	return ids
}

var sesAddrRE = regexp.MustCompile(`emailAddress\\?"\s*:\s*\\?"([^"\\\s]+)`)

// addrLineRE matches a line that starts with an address, optionally after
// an SMTP reply code: "<a@b>:", "  a@b", "a@b [User unknown]", "554 <a@b>... Host unknown".
var addrLineRE = regexp.MustCompile(`^\s*(?:[245]\d\d[ -])?<?([^\s<>()@,;:"'\[\]]+@[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9])>?(?::|\.\.\.|\s|$)`)

var bracketAddrRE = regexp.MustCompile(`<([^\s<>()@,;:"'\[\]]+@[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9])>`)

// failedRecipients lists the addresses a bounce reports as failed.
func failedRecipients(m *Message) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.ToLower(strings.Trim(strings.TrimSpace(a), "<>\"'"))
		if i := strings.LastIndexByte(a, '@'); i <= 0 || i == len(a)-1 || strings.ContainsAny(a, " \t") || seen[a] {
			return
		}
		seen[a] = true
		out = append(out, a)
	}
	for _, v := range m.Header.Values("X-Failed-Recipients") {
		for _, a := range parseAddressList([]byte(v)) {
			add(a.Email)
		}
	}
	for _, a := range m.Attachments {
		if a.ContentType == "message/delivery-status" || a.ContentType == "message/global-delivery-status" {
			for _, r := range dsnFailed(a.Data) {
				add(r)
			}
		}
	}
	// Amazon SES: "bouncedRecipients":[{"emailAddress":"..."}] in JSON.
	if strings.Contains(m.Text, "bouncedRecipients") {
		for _, sm := range sesAddrRE.FindAllStringSubmatch(m.Text, 50) {
			add(sm[1])
		}
	}
	if len(out) > 0 {
		return out
	}
	// A report without a machine-readable part: take the lines that consist
	// of an address (qmail "<a@b>:", Exim "  a@b", Sendmail "<a@b>... User
	// unknown") before the copy of the original header starts.
	// Failing that, the bracketed addresses of the report text.
	own := map[string]bool{strings.ToLower(m.From.Email): true}
	for _, a := range m.To {
		own[a.Key()] = true
	}
	report := m.Text
	var bracketed []string
	for line := range strings.SplitSeq(report, "\n") {
		if _, _, ok := splitField([]byte(line)); ok && isOriginalHeaderLine(line) {
			break
		}
		if sm := addrLineRE.FindStringSubmatch(line); sm != nil && !own[strings.ToLower(sm[1])] && !isSystemAddress(sm[1]) {
			add(sm[1])
		}
		for _, sm := range bracketAddrRE.FindAllStringSubmatch(line, 5) {
			if !own[strings.ToLower(sm[1])] && !isSystemAddress(sm[1]) {
				bracketed = append(bracketed, sm[1])
			}
		}
		if len(out) >= 50 {
			break
		}
	}
	if len(out) == 0 {
		for _, a := range bracketed {
			if len(out) < 10 {
				add(a)
			}
		}
	}
	return out
}

// isSystemAddress reports whether a is a mail system mailbox, which is
// never the failed recipient.
func isSystemAddress(a string) bool {
	l := strings.ToLower(a)
	return strings.HasPrefix(l, "mailer-daemon@") || strings.HasPrefix(l, "postmaster@")
}

func isOriginalHeaderLine(line string) bool {
	l := strings.ToLower(line)
	for _, p := range []string{"received:", "return-path:", "message-id:", "dkim-signature:", "from:", "date:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// dsnFailed reads the per-recipient groups of a message/delivery-status
// body (RFC 3464 2.3) and returns the recipients whose Action is failed.
func dsnFailed(data []byte) []string {
	type rcpt struct{ final, original, action string }
	var rs []rcpt
	rest := data
	for n := 0; len(rest) > 0 && n < 1000; n++ {
		fs, body := readHeader(rest, true)
		if len(fs) == 0 {
			break
		}
		var cur *rcpt
		for _, f := range fs {
			v := strings.TrimSpace(string(f.value))
			switch f.key {
			case "Final-Recipient", "Original-Recipient":
				if i := strings.IndexByte(v, ';'); i >= 0 {
					v = v[i+1:]
				}
				if cur == nil || f.key == "Final-Recipient" && cur.final != "" || f.key == "Original-Recipient" && cur.original != "" {
					rs = append(rs, rcpt{})
					cur = &rs[len(rs)-1]
				}
				if f.key == "Final-Recipient" {
					cur.final = v
				} else {
					cur.original = v
				}
			case "Action":
				if cur != nil {
					cur.action = strings.ToLower(v)
				}
			}
		}
		if len(body) >= len(rest) {
			break
		}
		rest = body
	}
	var out []string
	for _, r := range rs {
		if r.action != "" && !strings.HasPrefix(r.action, "failed") {
			continue
		}
		a := r.final
		if a == "" || !strings.Contains(a, "@") {
			a = r.original
		}
		out = append(out, a)
	}
	return out
}
