package mailin

import (
	"regexp"
	"slices"
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
	// failed: X-Failed-Recipients, and Final-Recipient / Original-Recipient
	// with Action: failed from a message/delivery-status part. Only a
	// report without such a part is read for address lines in its text.
	// A report whose recipients were all delayed or delivered is not a
	// bounce but an auto-reply, without FailedRecipients.
	FailedRecipients []string
}

// ClassifyOptions tells Classify how to recognise the daemon's own mail
// and the desk's own addresses.
type ClassifyOptions struct {
	// OwnLoopHeader is the header the daemon puts on every mail it sends,
	// e.g. "X-Helpdesk-Loop"; "" disables the check.
	OwnLoopHeader string
	// IsOwnMessageID reports whether a Message-ID (without brackets) is
	// one the daemon generated, e.g. by a signature in it; nil disables
	// the check.
	IsOwnMessageID func(id string) bool
	// OwnDomains are the Message-ID domains of the daemon's own mail. The
	// desk leaves them empty: people at its domain write to it too.
	OwnDomains []string
	// OwnAddresses are the desk's own mailbox addresses. When one of them
	// is a mailing-list alias (a Google Group, a Mailman list), every
	// customer mail arrives with that list's List-Id; a List-Id or List-Post
	// naming one of them does not make the mail "list".
	OwnAddresses []string
}

// Classify decides whether a machine sent m, and which kind. Parse fills
// m.Auto with it, with ParseOptions.Classify.
func Classify(m *Message, opts ClassifyOptions) AutoClass {
	if r := ownReason(m, opts); r != "" {
		return AutoClass{Kind: KindOwn, Reason: r}
	}
	mt, params := parseParams([]byte(m.Header.Get("Content-Type")))
	reportType := ""
	if mt == "multipart/report" {
		reportType = strings.ToLower(strings.TrimSpace(params["report-type"]))
	}
	dsn := readDSN(m)
	if dsn.recipients > 0 && dsn.failures == 0 {
		// RFC 3464 2.3.3: a report whose recipients were all delayed,
		// delivered, relayed or expanded is a notice, not a failure. It is
		// never answered, but it names no failed recipient.
		return AutoClass{Kind: KindAutoReply, Reason: "delivery status notification (" + strings.Join(dsn.actions, ", ") + ")"}
	}
	if dsn.recipients == 0 && delayWarning(m) {
		// The same notice without a machine-readable part (Gmail, Exim):
		// its text names the delayed recipients, which did not fail.
		return AutoClass{Kind: KindAutoReply, Reason: "delivery delay warning \"" + m.Subject + "\""}
	}
	if r := bounceReason(m, reportType); r != "" {
		return AutoClass{
			Kind:               KindBounce,
			Reason:             r,
			OriginalMessageIDs: originalMessageIDs(m),
			FailedRecipients:   failedRecipients(m, dsn),
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
	if r := listReason(m, opts.OwnAddresses); r != "" {
		return AutoClass{Kind: KindList, Reason: r}
	}
	switch p := precedence(m); p {
	case "bulk", "junk":
		// RFC 3834 2 mentions Precedence as a de-facto marker of bulk mail.
		return AutoClass{Kind: KindBulk, Reason: "Precedence: " + p}
	}
	return AutoClass{}
}

// ownReason says why m is the daemon's own mail come back, or "". It is
// the one place that decides it: by the loop header on every mail the
// daemon sends, or by a Message-ID it generated (a copy whose loop header
// a list or a forwarder dropped).
func ownReason(m *Message, opts ClassifyOptions) string {
	if opts.OwnLoopHeader != "" && m.Header.Has(opts.OwnLoopHeader) {
		return opts.OwnLoopHeader + " header present"
	}
	if opts.IsOwnMessageID != nil && m.MessageID != "" && opts.IsOwnMessageID(m.MessageID) {
		return "Message-ID generated by this desk"
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
// decide alone. Exchange's "Undeliverable:" (in every language), Sendmail's
// "Returned mail:" and Domino's "DELIVERY FAILURE:" are not: a customer
// writes "Delivery failure: parcel 4411 never arrived". They are in
// genericBounceSubjects.
var bounceSubjects = []string{
	"undelivered mail returned to sender", // Postfix
	"delivery status notification",        // Gmail, Exchange, Sendmail, OpenSMTPD
	"mail delivery failed",                // Exim: "Mail delivery failed: returning message to sender"
	"undeliverable mail",                  // IMail, MailMarshal
	"undeliverable message",
	"failure notice",                             // qmail
	"mail system error - returned mail",          // Eudora, EZweb
	"delivery notification: delivery has failed", // Lotus Notes
	"warning: could not send message for past",   // Sendmail delay warning
	"message delivery has failed",                // MailFoundry
	"mail could not be delivered",                // Trend Micro
}

// genericBounceSubjects also begin bounce subjects, but a customer could
// write them too ("Delivery failure" of a parcel): they count only when
// the sender is a mail system or the return path is null.
var genericBounceSubjects = []string{
	"mail delivery", "delivery failure", "delivery failed", "delivery has failed", "delivery report",
	"undeliverable", "undelivered", "returned mail", "mail returned", "returned to sender",
	"message not delivered", "message could not be delivered", "non-delivery", "non delivery",
	"nondeliverable", "could not send message", "error sending message", "bounced mail",
	"message delivery failure", "failure delivery",
	// Exchange's "Undeliverable:" in other languages.
	"unzustellbar:",             // German Exchange
	"non remis :", "non remis:", // French Exchange
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
// (RFC 5321 4.5.1 postmaster, the MAILER-DAEMON convention) or the null
// sender ("From: Mail Delivery System <>"). It looks at the address only:
// a display name is whatever the sender chose ("John Postmaster").
func systemSender(m *Message) bool {
	if m.From.Email == "" {
		return strings.Contains(strings.ReplaceAll(m.Header.Get("From"), " ", ""), "<>")
	}
	base, _ := localPart(m.From.Email)
	return isSystemLocalPart(base)
}

// localPart returns the lowercased local part of an address, split at
// its subaddress separator (RFC 5233): the mailbox's name base, and tag
// ("" without one). "kim+postmaster" is Kim: a tag is not part of the name.
func localPart(addr string) (base, tag string) {
	addr = strings.ToLower(addr)
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[:i]
	}
	base, tag, _ = strings.Cut(addr, "+")
	return base, tag
}

// isSystemLocalPart reports whether the base of a local part names a mail
// system: postmaster (RFC 5321 4.5.1) and MAILER-DAEMON in every spelling
// ("post_master", "Post.Master", "postmaster-123", "mailer_daemon",
// "mail-daemon"), the bounce addresses of some MTAs and list servers
// ("bounce", "bounces+..."), and Exchange Online's NDR sender.
func isSystemLocalPart(base string) bool {
	switch base {
	case "bounce", "bounces":
		return true
	}
	for _, p := range []string{"bounce-", "bounces-", "microsoftexchange"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	for _, n := range []struct {
		name  string
		after string // the separators after which the name may also stand
	}{
		{"postmaster", ""},
		{"mailerdaemon", "-_."},
		{"maildaemon", "-_."},
		{"mdaemon", ""},
		{"maildeliverysystem", ""},
		{"maildeliverysubsystem", ""},
	} {
		if hasName(base, n.name, n.after) {
			return true
		}
	}
	return false
}

// productPostmaster reports whether the sender is a program's own
// postmaster ("opendmarc-postmaster", "dmarc_postmaster"). Such a program
// reports more than delivery failures (DMARC sends ARF reports from it),
// so this sender is no evidence of a bounce; "john.postmaster" is a
// person called Postmaster.
func productPostmaster(m *Message) bool {
	base, _ := localPart(m.From.Email)
	return hasName(base, "postmaster", "-_")
}

// isLocalSeparator reports whether c separates the words of a local part.
func isLocalSeparator(c byte) bool { return c == '-' || c == '_' || c == '.' }

// hasName reports whether the local part base holds name as a whole word,
// spelled with or without separators between its letters ("post_master"
// for "postmaster"): at the start, or after one of the separators in after.
// The name must end base or be followed by a separator or a digit
// ("postmaster-123", "postmaster2"), never by a letter ("postmasters").
func hasName(base, name, after string) bool {
	for i := 0; i < len(base); i++ {
		if i > 0 && !strings.ContainsRune(after, rune(base[i-1])) {
			continue
		}
		if end, ok := matchName(base[i:], name); ok && (end == len(base)-i || !isASCIILetter(base[i+end])) {
			return true
		}
	}
	return false
}

// matchName matches name at the start of s, allowing separators between
// its letters, and returns how many bytes of s it took.
func matchName(s, name string) (int, bool) {
	i := 0
	for j := 0; j < len(name); {
		if i >= len(s) {
			return 0, false
		}
		switch {
		case s[i] == name[j]:
			i++
			j++
		case j > 0 && isLocalSeparator(s[i]):
			i++
		default:
			return 0, false
		}
	}
	return i, true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

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

// delaySubjects are in the subjects of delay warnings: "Delivery Status
// Notification (Delay)", Exim's "Warning: message 1abc delayed 24 hours",
// "Delayed Mail (still being retried)".
var delaySubjects = []string{"(delay)", "delayed", "delivery delay", "still being retried", "still trying", "warning: could not send message for past"}

// delayWarning reports whether m is a mail system's warning that delivery
// is delayed, not failed: a delay subject from a mail-system or null
// sender, without X-Failed-Recipients.
func delayWarning(m *Message) bool {
	subj := strings.ToLower(m.Subject)
	if isReply(subj) || containsAny(subj, delaySubjects) == "" || m.Header.Has("X-Failed-Recipients") {
		return false
	}
	return systemSender(m) || nullReturnPath(m)
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
	"otomatik yanıt",                                                                    // Turkish
	"automatikus válasz", "răspuns automat", "αυτόματη απάντηση", "automatická odpoveď", // Hungarian, Romanian, Greek, Slovak
	"automatski odgovor", "samodejni odgovor", "автоматичен отговор", "автоматична відповідь", // Croatian, Slovenian, Bulgarian, Ukrainian
	"automatinis atsakymas", "automātiskā atbilde", "automaatne vastus", "resposta automàtica", // Baltic, Catalan
	"trả lời tự động", "balasan otomatis", "תשובה אוטומטית", "رد تلقائي", "ตอบกลับอัตโนมัติ", // Vietnamese, Indonesian, Hebrew, Arabic, Thai
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
	// Autoresponders of hosting panels and older servers that mark their
	// mail only in headers of their own.
	if v := m.Header.Get("X-POST-MessageClass"); strings.Contains(strings.ToLower(v), "autoresponder") {
		return "X-POST-MessageClass: " + strings.TrimSpace(v)
	}
	for _, v := range m.Header.Values("Delivered-To") {
		if strings.EqualFold(strings.TrimSpace(v), "autoresponder") {
			return "Delivered-To: Autoresponder"
		}
	}
	if strings.EqualFold(strings.TrimSpace(m.Header.Get("X-FC-MachineGenerated")), "true") {
		return "X-FC-MachineGenerated: true"
	}
	// Exchange puts X-Auto-Response-Suppress on its own automatic mail
	// (out-of-office, recalls, rule replies) so that others do not answer.
	// Outlook also sets it on some mail a person wrote (meeting responses,
	// usually "RN, NRN" or "DR, RN, NRN"), so it counts only when it asks
	// to suppress auto-replies: All, OOF or AutoReply.
	if v := m.Header.Get("X-Auto-Response-Suppress"); suppressesAutoReplies(v) {
		return "X-Auto-Response-Suppress: " + strings.TrimSpace(v)
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
	// RFC 3834 5.1 and RFC 5321 4.5.5: mail from the null reverse-path is
	// never answered. Only a Return-Path that is there and empty says so:
	// mail delivered by a pipe often has no Return-Path at all.
	if nullReturnPath(m) {
		return "null return path"
	}
	// RFC 5321 4.5.1: postmaster and MAILER-DAEMON are mail systems. What
	// they send that is no bounce is still a machine's: an SMS or pager
	// gateway's "Re: <your subject>" to every mail it takes, a notice. A
	// postmaster who writes by hand is read by the agents all the same.
	if systemSender(m) || productPostmaster(m) {
		if m.From.Email == "" {
			return "mail-system sender (null From)"
		}
		return "mail-system sender " + m.From.Email
	}
	return ""
}

// suppressesAutoReplies reports whether an X-Auto-Response-Suppress value
// (a comma-separated list: DR, NDR, RN, NRN, OOF, AutoReply, All) asks
// others not to auto-reply.
func suppressesAutoReplies(v string) bool {
	for tok := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		switch strings.ToLower(tok) {
		case "all", "oof", "autoreply":
			return true
		}
	}
	return false
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

func listReason(m *Message, own []string) string {
	// RFC 2919 (List-Id) and RFC 2369 (List-* URLs).
	foreign, ownList := "", false
	for _, v := range m.Header.Values("List-Id") {
		if v == "" {
			continue
		}
		if !isOwnListID(v, own) {
			if foreign == "" {
				foreign = "List-Id: " + v
			}
			continue
		}
		ownList = true
	}
	for _, v := range m.Header.Values("List-Post") {
		if isOwnListPost(v, own) {
			ownList = true
		}
	}
	// Mailman 2 names the list a post went through in X-BeenThere.
	for _, v := range m.Header.Values("X-BeenThere") {
		if isOwnAddress(v, own) {
			ownList = true
		}
	}
	if r := listNoticeReason(m, ownList); r != "" {
		return r
	}
	if foreign != "" {
		return foreign
	}
	if ownList {
		// The list is the desk's own address: its List-* headers, list
		// software headers and Precedence are on every customer mail.
		return ""
	}
	for _, h := range []string{"List-Unsubscribe", "List-Post", "Mailing-List", "X-Mailing-List"} {
		if m.Header.Has(h) {
			return h + " header present"
		}
	}
	if h := listSoftwareHeader(m); h != "" {
		return h
	}
	if precedence(m) == "list" {
		return "Precedence: list"
	}
	return ""
}

// listSoftwareNames are the mailboxes that list managers send their own
// mail from (command results, confirmations, moderation), alone or with a
// suffix ("mailman-owner", "majordomo-owner", "sympa-request").
var listSoftwareNames = []string{"mailman", "majordomo", "listserv", "listproc", "sympa", "ecartis", "ezmlm", "listmaster"}

// listSuffixesSure end the local parts that only list managers send
// from: Mailman sends its notices from LIST-bounces.
var listSuffixesSure = []string{"-bounces", "-bounce"}

// listSuffixesRole end the local parts that list managers send notices
// from (RFC 2142 6 LIST-request, fml's LIST-admin, Mailman's LIST-owner,
// ezmlm's LIST-help, Google Groups' LIST+owners), but that a company also
// gives to people: "it-admin", "product-owner", "purchase-request". They
// count only with more evidence.
var listSuffixesRole = []string{"request", "admin", "owner", "owners", "help", "ctl", "approval", "confirm", "join", "leave", "subscribe", "unsubscribe"}

type listSenderKind int

const (
	notListSender  listSenderKind = iota
	listSenderSure                // a list manager's own mailbox
	listSenderRole                // a list manager's mailbox, or a person's role address
)

// listSender says whether a local part (see localPart) is one that
// mailing-list software sends its notices from.
func listSender(base, tag string) listSenderKind {
	for _, n := range listSoftwareNames {
		if base == n || strings.HasPrefix(base, n+"-") {
			return listSenderSure
		}
	}
	// Sendmail's and Majordomo's "owner-LIST" receives a list's errors
	// and sends its notices.
	if strings.HasPrefix(base, "owner-") && len(base) > len("owner-") {
		return listSenderSure
	}
	for _, s := range listSuffixesSure {
		if strings.HasSuffix(base, s) && len(base) > len(s) {
			return listSenderSure
		}
	}
	for _, s := range listSuffixesRole {
		if strings.HasSuffix(base, "-"+s) && len(base) > len(s)+1 || tag == s {
			return listSenderRole
		}
	}
	return notListSender
}

// listNoticeSubjects are in the subjects of the notices list managers
// send: fml's loop and membership warnings, Mailman's, Majordomo's,
// Sympa's, ezmlm's and LISTSERV's command results, confirmations and
// moderation notices.
var listNoticeSubjects = []string{
	"unix from loop", "fml system error", " are not member", "not member article", "spam mail from a spammer is rejected", // fml
	"awaits moderator approval", "requires approval", "results of your email commands", "bounce action notification", // Mailman
	"uncaught bounce notification", "subscription notification", "unsubscribe notification", "memberships reminder",
	"mailing list reminder", "auto-response for your message to", "your confirmation is needed",
	"majordomo results", "non-member submission", // Majordomo
	"results of your commands", "authorization denied", // Sympa
	"ezmlm response", "ezmlm warning", "confirm subscribe to", "confirm unsubscribe from", // ezmlm
	"output of your job", // LISTSERV
}

// listLoopSubjects begin fml's loop warnings ("Loop Alert: dup'ed
// Message-ID"), after the list's "[name:count]" tag if any. Only the
// start counts: "Our loop alert fires every night" is a person's.
var listLoopSubjects = []string{"loop alert", "loop back warning"}

var mailmanConfirmRE = regexp.MustCompile(`^confirm [0-9a-f]{16,}$`)

// listNoticeSubject returns what marks a lowercased subject as a list
// manager's notice, or "".
func listNoticeSubject(subj string) string {
	if p := containsAny(subj, listNoticeSubjects); p != "" {
		return strings.TrimSpace(p)
	}
	s := subj
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			s = strings.TrimSpace(s[i+1:])
		}
	}
	if p := hasPrefixAny(s, listLoopSubjects); p != "" {
		return p
	}
	if mailmanConfirmRE.MatchString(strings.TrimSpace(subj)) {
		return "confirm"
	}
	return ""
}

// listNoticeReason recognises the mail that mailing-list software sends
// on its own (confirmations, command results, moderation, bounce and loop
// warnings), even from the desk's own list: RFC 3834 2 says such mail
// must not be answered, and list managers answer back.
func listNoticeReason(m *Message, ownList bool) string {
	// Mailman marks all of its notices so.
	if v := m.Header.Get("X-List-Administrivia"); strings.EqualFold(strings.TrimSpace(v), "yes") {
		return "X-List-Administrivia: yes"
	}
	switch listSender(localPart(m.From.Email)) {
	case listSenderSure:
		return "list-software sender " + m.From.Email
	case listSenderRole:
		if p := listNoticeSubject(strings.ToLower(m.Subject)); p != "" {
			return "list-software sender " + m.From.Email + " with notice subject \"" + m.Subject + "\""
		}
		// Sympa, procmail and others put X-Loop on the mail they make;
		// on the desk's own list it is on every customer mail.
		if !ownList && m.Header.Has("X-Loop") {
			return "list-software sender " + m.From.Email + " with X-Loop"
		}
	}
	return ""
}

// listSoftwareHeader returns the header by which list software marks the
// mail it sends, or "": Mailman's X-Mailman-Version and X-BeenThere, fml's
// X-MLServer and X-ML-Name, Sympa's X-Sympa-*, ListProc's, Ecartis's and
// LISTSERV's version headers, and ezmlm's "Delivered-To: mailing list" and
// "Delivered-To: responder for".
func listSoftwareHeader(m *Message) string {
	for _, h := range []string{"X-Mailman-Version", "X-Beenthere", "X-Mlserver", "X-Ml-Name", "X-Ml-Info", "X-Listprocessor-Version", "X-Ecartis-Version", "X-Listserver", "X-Lsv-Listid"} {
		if m.Header.Has(h) {
			return h + " header present"
		}
	}
	for k := range m.Header {
		if strings.HasPrefix(k, "X-Sympa-") || strings.HasPrefix(k, "X-Majordomo") || strings.HasPrefix(k, "X-Ezmlm-") {
			return k + " header present"
		}
	}
	for _, v := range m.Header.Values("Delivered-To") {
		v = strings.ToLower(strings.TrimSpace(v))
		if strings.HasPrefix(v, "mailing list ") || strings.HasPrefix(v, "responder for ") {
			return "Delivered-To: " + v
		}
	}
	return ""
}

// isOwnAddress reports whether v (an address, perhaps in brackets) is one
// of the own addresses.
func isOwnAddress(v string, own []string) bool {
	v = strings.Trim(strings.TrimSpace(v), "<>")
	for _, a := range own {
		if a = strings.TrimSpace(a); a != "" && strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}

// isOwnListID reports whether a List-Id value names one of the own
// addresses: RFC 2919 2 makes the list-id of support@example.com
// "support.example.com" in Google Groups and Mailman.
func isOwnListID(v string, own []string) bool {
	id := v
	if i := strings.LastIndexByte(id, '<'); i >= 0 {
		id = id[i+1:]
		if j := strings.IndexByte(id, '>'); j >= 0 {
			id = id[:j]
		}
	}
	id = strings.ToLower(strings.TrimSpace(id))
	for _, a := range own {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && (id == a || id == strings.Replace(a, "@", ".", 1)) {
			return true
		}
	}
	return false
}

// isOwnListPost reports whether a List-Post value (RFC 2369 3.4,
// "<mailto:support@example.com>") names one of the own addresses.
func isOwnListPost(v string, own []string) bool {
	for _, u := range strings.Split(v, ",") {
		u = strings.Trim(strings.TrimSpace(u), "<>")
		if len(u) < 7 || !strings.EqualFold(u[:7], "mailto:") {
			continue
		}
		u = u[7:]
		if i := strings.IndexAny(u, "?>"); i >= 0 {
			u = u[:i]
		}
		for _, a := range own {
			if a = strings.TrimSpace(a); a != "" && strings.EqualFold(u, a) {
				return true
			}
		}
	}
	return false
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

// failedRecipients lists the addresses a bounce reports as failed. When
// the report has a message/delivery-status part that names the failed
// recipients it is trusted alone: the report text is read only for
// reports without one (or whose failed recipients have no usable address).
func failedRecipients(m *Message, dsn dsnReport) []string {
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
	if len(dsn.failed) > 0 {
		for _, r := range dsn.failed {
			add(r)
		}
		return out
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

// dsnReport is what the message/delivery-status parts of a mail say.
type dsnReport struct {
	recipients int      // per-recipient groups that name a recipient
	failures   int      // of them, those whose Action is failed
	failed     []string // the usable addresses of the failed ones
	actions    []string // the other actions seen, e.g. "delayed", in order
}

// readDSN reads the message/delivery-status parts of m.
func readDSN(m *Message) dsnReport {
	var d dsnReport
	for _, a := range m.Attachments {
		if a.ContentType != "message/delivery-status" && a.ContentType != "message/global-delivery-status" {
			continue
		}
		for _, r := range dsnRecipients(a.Data) {
			d.recipients++
			if r.action == "failed" {
				d.failures++
				if i := strings.LastIndexByte(r.addr, '@'); i > 0 && i < len(r.addr)-1 {
					d.failed = append(d.failed, r.addr)
				}
			} else if !slices.Contains(d.actions, r.action) {
				d.actions = append(d.actions, r.action)
			}
		}
	}
	return d
}

// dsnRecipient is one per-recipient group of a delivery-status report.
type dsnRecipient struct {
	addr   string // Final-Recipient, else Original-Recipient, without its type; may be unusable
	action string // failed, delayed, delivered, relayed or expanded
}

// dsnRecipients reads the per-recipient groups of a message/delivery-status
// body (RFC 3464 2.3). Groups that name no recipient are skipped. A group
// without Action (a required field) takes it from the Status class: 4 is
// delayed, 2 delivered, anything else failed.
func dsnRecipients(data []byte) []dsnRecipient {
	type rcpt struct{ final, original, action, status string }
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
			case "Status":
				if cur != nil {
					cur.status = v
				}
			}
		}
		if len(body) >= len(rest) {
			break
		}
		rest = body
	}
	var out []dsnRecipient
	for _, r := range rs {
		a := strings.TrimSpace(r.final)
		if i := strings.LastIndexByte(a, '@'); i <= 0 || i == len(a)-1 {
			if o := strings.TrimSpace(r.original); o != "" {
				a = o
			}
		}
		if a == "" {
			continue
		}
		action := r.action
		if i := strings.IndexAny(action, " \t;("); i >= 0 {
			action = action[:i]
		}
		switch action {
		case "failed", "delayed", "delivered", "relayed", "expanded":
		default:
			switch {
			case strings.HasPrefix(r.status, "4"):
				action = "delayed"
			case strings.HasPrefix(r.status, "2"):
				action = "delivered"
			default:
				action = "failed"
			}
		}
		out = append(out, dsnRecipient{addr: a, action: action})
	}
	return out
}
