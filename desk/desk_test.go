package desk_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/localconfig"
	"helpdesk/internal/smtpsink"
	"helpdesk/tickets"
)

// harness is a desk on a real SQLite file and a real SMTP server.
type harness struct {
	t    *testing.T
	ctx  context.Context
	sink *smtpsink.Sink
	desk *desk.Desk
	now  time.Time
}

// baseTOML is the config every desk test starts from: the database at dsn
// (a SQLite file or a PostgreSQL URL), the SMTP server on smtpPort, and the
// mailbox "support" (its [[mailbox]] last, so that a [mailbox.imap] may
// follow).
func baseTOML(dsn string, smtpPort int) string {
	return localconfig.TOML(localconfig.Options{DSN: dsn, SMTPPort: smtpPort})
}

// configFor is baseTOML with a second mailbox, "sales".
func configFor(t *testing.T, smtpPort int) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), smtpPort)+`
[[mailbox]]
name = "sales"
address = "sales@example.com"
queue = "sales"
`), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	h := &harness{t: t, ctx: context.Background(), sink: sink, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	h.open(configFor(t, sink.Port()))
	return h
}

func (h *harness) open(cfg *config.Config) {
	h.t.Helper()
	d, err := desk.Open(h.ctx, cfg, desk.Options{Now: func() time.Time { return h.now }})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { d.Close() })
	h.desk = d
}

func (h *harness) deliver(mailbox, raw string) desk.Outcome {
	h.t.Helper()
	out, err := h.desk.Deliver(h.ctx, mailbox, []byte(raw))
	if err != nil {
		h.t.Fatalf("deliver: %v", err)
	}
	h.now = h.now.Add(time.Second)
	return out
}

func (h *harness) flush() tickets.FlushStats {
	h.t.Helper()
	m := h.desk.NewMailer()
	defer m.Close()
	st, err := h.desk.FlushOutbox(h.ctx, m)
	if err != nil {
		h.t.Fatalf("flush: %v", err)
	}
	return st
}

func (h *harness) messages(ticketID int64) []tickets.Message {
	h.t.Helper()
	ms, err := h.desk.Store.Messages(h.ctx, ticketID)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// sent parses what the SMTP server received.
type sentMail struct {
	rcpt                          []string
	subject, messageID, inReplyTo string
	replyTo, autoSubmitted        string
	header                        mail.Header
}

func (h *harness) sent() []sentMail {
	h.t.Helper()
	var out []sentMail
	for _, r := range h.sink.Mails() {
		mr, err := mail.CreateReader(bytes.NewReader(r.Data))
		if err != nil {
			h.t.Fatalf("reading a sent mail: %v\n%s", err, r.Data)
		}
		s := sentMail{rcpt: r.To, header: mr.Header}
		s.subject, _ = mr.Header.Subject()
		s.messageID, _ = mr.Header.MessageID()
		if ids, _ := mr.Header.MsgIDList("In-Reply-To"); len(ids) > 0 {
			s.inReplyTo = ids[0]
		}
		if as, _ := mr.Header.AddressList("Reply-To"); len(as) > 0 {
			s.replyTo = as[0].Address
		}
		s.autoSubmitted = mr.Header.Get("Auto-Submitted")
		out = append(out, s)
	}
	return out
}

func customer(id, from, subject, body string) string {
	return fmt.Sprintf("From: %s\r\nTo: Support <support@example.com>\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, subject, id, body)
}

func TestThreeCustomersGetThreeTicketsAndAcknowledgements(t *testing.T) {
	onEachDatabase(t, testThreeCustomersGetThreeTicketsAndAcknowledgements)
}

func testThreeCustomersGetThreeTicketsAndAcknowledgements(t *testing.T) {
	h := newHarness(t)
	refs := map[string]string{}
	for i, who := range []string{"alice@a.test", "bob@b.test", "carol@c.test"} {
		out := h.deliver("support", customer(fmt.Sprintf("m%d@customer.test", i), who, "Help number "+fmt.Sprint(i), "It broke."))
		if !out.Created {
			t.Fatalf("mail from %s: %+v, want a new ticket", who, out)
		}
		refs[who] = out.Ref
	}
	if st := h.flush(); st.Sent != 3 {
		t.Fatalf("flush = %+v, want 3 sent", st)
	}
	sent := h.sent()
	if len(sent) != 3 {
		t.Fatalf("the SMTP server got %d mails, want 3", len(sent))
	}
	for _, s := range sent {
		ref := refs[s.rcpt[0]]
		if ref == "" || !strings.Contains(s.subject, "["+ref+"]") {
			t.Errorf("acknowledgement to %v has subject %q, want the tag [%s]", s.rcpt, s.subject, ref)
		}
		if s.autoSubmitted != "auto-replied" || s.header.Get("X-Auto-Response-Suppress") != "All" || s.header.Get("X-Helpdesk-Loop") == "" {
			t.Errorf("acknowledgement lacks loop headers: %v", s.header.Map())
		}
		if !strings.HasSuffix(s.messageID, "@example.com") || !strings.Contains(s.replyTo, "support+") {
			t.Errorf("acknowledgement Message-ID %q / Reply-To %q", s.messageID, s.replyTo)
		}
	}
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("a second flush sent %d mails again", st.Sent)
	}
}

func TestRepliesLandOnTheirTicketWithoutNewAcknowledgement(t *testing.T) {
	onEachDatabase(t, testRepliesLandOnTheirTicketWithoutNewAcknowledgement)
}

func testRepliesLandOnTheirTicketWithoutNewAcknowledgement(t *testing.T) {
	h := newHarness(t)
	first := h.deliver("support", customer("first@a.test", "Alice <alice@a.test>", "Printer on fire", "Help"))
	h.flush()
	ack := h.sent()[0]

	replies := []struct {
		name string
		raw  string
		how  string
	}{
		{"In-Reply-To the acknowledgement", fmt.Sprintf("From: alice@a.test\r\nTo: support@example.com\r\nSubject: Re: something\r\nMessage-ID: <r1@a.test>\r\nIn-Reply-To: <%s>\r\n\r\nstill burning\r\n", ack.messageID), "token"},
		{"to the Reply-To token address", fmt.Sprintf("From: alice@a.test\r\nTo: %s\r\nSubject: hello again\r\nMessage-ID: <r2@a.test>\r\n\r\nstill burning\r\n", ack.replyTo), "token"},
		{"with only the subject tag, from the requester", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: [" + first.Ref + "] Printer on fire\r\nMessage-ID: <r3@a.test>\r\n\r\nstill burning\r\n", "subject-tag"},
	}
	for _, r := range replies {
		out := h.deliver("support", r.raw)
		if out.Created || out.TicketID != first.TicketID || out.ThreadedBy != r.how {
			t.Errorf("reply %s: %+v, want ticket %s threaded by %s", r.name, out, first.Ref, r.how)
		}
	}
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("replies caused %d new mails, want none", st.Sent)
	}
	if n := len(h.messages(first.TicketID)); n != 5 {
		t.Errorf("ticket has %d messages, want 5 (mail, acknowledgement, 3 replies)", n)
	}

	stranger := h.deliver("support", "From: mallory@evil.test\r\nTo: support@example.com\r\nSubject: Re: ["+first.Ref+"] Printer on fire\r\nMessage-ID: <m1@evil.test>\r\n\r\nlet me in\r\n")
	if !stranger.Created {
		t.Errorf("the tag from a stranger: %+v, want a new ticket", stranger)
	}
}

func TestTheSameMailTwiceMakesOneTicket(t *testing.T) {
	onEachDatabase(t, testTheSameMailTwiceMakesOneTicket)
}

func testTheSameMailTwiceMakesOneTicket(t *testing.T) {
	h := newHarness(t)
	raw := customer("dup@a.test", "alice@a.test", "Twice", "body")
	a := h.deliver("support", raw)
	b := h.deliver("support", raw)
	c := h.deliver("sales", raw)
	if !a.Created || !b.Duplicate || !c.Duplicate || b.TicketID != a.TicketID || c.TicketID != a.TicketID {
		t.Fatalf("outcomes %+v / %+v / %+v, want one ticket and two duplicates", a, b, c)
	}
	noID := "From: bob@b.test\r\nTo: support@example.com\r\nSubject: no id\r\n\r\nbody\r\n"
	d := h.deliver("support", noID)
	e := h.deliver("support", strings.ReplaceAll(noID, "\r\n", "\n"))
	if !d.Created || !e.Duplicate {
		t.Errorf("a mail without Message-ID twice (CRLF, then LF): %+v / %+v", d, e)
	}
	if st := h.flush(); st.Sent != 2 {
		t.Errorf("sent %d acknowledgements, want 2", st.Sent)
	}
}

func TestMailsInOtherCharsetsAndShapesReadCorrectly(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		subject     string
		text        string
		attachments []string
	}{
		{"a windows-1252 body",
			"From: a@a.test\r\nTo: support@example.com\r\nSubject: cp1252\r\nMessage-ID: <w1@a.test>\r\nContent-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 \x96 na\xefve \x80 5\r\n",
			"cp1252", "Café – naïve € 5", nil},
		{"an ISO-2022-JP subject",
			"From: a@a.test\r\nTo: support@example.com\r\nSubject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\nMessage-ID: <j1@a.test>\r\n\r\nbody\r\n",
			"テスト", "body", nil},
		{"an HTML-only mail",
			"From: a@a.test\r\nTo: support@example.com\r\nSubject: html\r\nMessage-ID: <h1@a.test>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello &amp; welcome</p><p>Second <b>line</b></p></body></html>\r\n",
			"html", "Hello & welcome", nil},
		{"a mail with attachments",
			"From: a@a.test\r\nTo: support@example.com\r\nSubject: files\r\nMessage-ID: <f1@a.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename*=UTF-8''donn%C3%A9es.csv\r\n\r\na,b\r\n--XX--\r\n",
			"files", "see attached", []string{"Rechnung März.pdf", "données.csv"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			out := h.deliver("support", tc.raw)
			if !out.Created {
				t.Fatalf("outcome %+v", out)
			}
			m := h.messages(out.TicketID)[0]
			if m.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			}
			if !strings.Contains(m.Text, tc.text) || strings.Contains(m.Text, "<p>") {
				t.Errorf("text = %q, want it to contain %q", m.Text, tc.text)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			if strings.Join(names, "|") != strings.Join(tc.attachments, "|") {
				t.Errorf("attachments = %q, want %q", names, tc.attachments)
			}
		})
	}
}

func TestCorruptMailIsQuarantinedWithItsRawBytes(t *testing.T) {
	onEachDatabase(t, testCorruptMailIsQuarantinedWithItsRawBytes)
}

func testCorruptMailIsQuarantinedWithItsRawBytes(t *testing.T) {
	h := newHarness(t)
	raw := "\x00\x01\x02 this is not a mail at all \xff\xfe"
	out := h.deliver("support", raw)
	if !out.Quarantined || out.Reason == "" {
		t.Fatalf("outcome %+v, want quarantined with a reason", out)
	}
	q, err := h.desk.Store.QuarantineGet(h.ctx, out.QuarantineID)
	if err != nil {
		t.Fatal(err)
	}
	if string(q.Raw) != raw || q.Mailbox != "support" {
		t.Errorf("quarantined %q in %q, want the raw bytes kept", q.Raw, q.Mailbox)
	}
	list, _ := h.desk.Store.ListTickets(h.ctx, tickets.TicketFilter{})
	if len(list) != 0 {
		t.Errorf("a corrupt mail made %d tickets", len(list))
	}
}

func TestSMTPDownLeavesMailQueuedForTheNextTry(t *testing.T) {
	onEachDatabase(t, testSMTPDownLeavesMailQueuedForTheNextTry)
}

func testSMTPDownLeavesMailQueuedForTheNextTry(t *testing.T) {
	// A port with nothing listening: the SMTP server is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	h := &harness{t: t, ctx: context.Background(), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	h.open(configFor(t, port))
	out := h.deliver("support", customer("down@a.test", "alice@a.test", "Anyone?", "hello"))

	if st := h.flush(); st.Deferred != 1 || st.Sent != 0 {
		t.Fatalf("flush with SMTP down = %+v, want 1 deferred", st)
	}
	items, _ := h.desk.Store.Outbox(h.ctx, tickets.OutboxFilter{TicketID: out.TicketID})
	if len(items) != 1 || items[0].Status != tickets.OutboxQueued || items[0].LastError == "" {
		t.Fatalf("outbox = %+v, want the acknowledgement queued with the error", items)
	}

	h.sink, err = smtpsink.Start(smtpsink.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer h.sink.Close()
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("flush before the retry time sent %d", st.Sent)
	}
	h.now = h.now.Add(2 * time.Minute)
	if st := h.flush(); st.Sent != 1 {
		t.Fatalf("flush after the retry time = %+v, want 1 sent", st)
	}
	if got := len(h.sink.Mails()); got != 1 {
		t.Errorf("the SMTP server got %d mails, want 1", got)
	}
}

func TestPermanentRejectionIsRecordedOnTheTicket(t *testing.T) {
	onEachDatabase(t, testPermanentRejectionIsRecordedOnTheTicket)
}

func testPermanentRejectionIsRecordedOnTheTicket(t *testing.T) {
	h := newHarness(t)
	out := h.deliver("support", customer("rej@a.test", "alice@a.test", "Hello", "hello"))
	h.sink.FailNext(550, 1)
	if st := h.flush(); st.Failed != 1 {
		t.Fatalf("flush = %+v, want 1 failed", st)
	}
	events, _ := h.desk.Store.Events(h.ctx, out.TicketID)
	found := false
	for _, e := range events {
		found = found || (e.Kind == tickets.EventDeliveryFailed && strings.Contains(e.Detail, "550"))
	}
	if !found {
		t.Errorf("events %+v lack the delivery failure with its code", events)
	}
	h.now = h.now.Add(24 * time.Hour)
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("a rejected mail was sent again")
	}
}
