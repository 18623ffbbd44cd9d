package desk_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/internal/localconfig"
	"helpdesk/tickets"
)

// triageHarness is a desk whose config has the shared triage rules,
// localconfig.TriageRules.
func triageHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(configText(t, h.sink.Port())+localconfig.TriageRules), "rules.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	return h
}

func configText(t *testing.T, smtpPort int) string {
	return baseTOML(testDSN(t), smtpPort)
}

func (h *harness) events(id int64) []tickets.Event {
	h.t.Helper()
	ev, err := h.desk.Store.Events(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return ev
}

func hasEventLike(events []tickets.Event, kind, detail string) bool {
	for _, e := range events {
		if e.Kind == kind && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestRulesSortNewTickets(t *testing.T) {
	tests := []struct {
		name                      string
		raw                       string
		queue, category, priority string
		tags                      string
		assignee                  string
		status                    tickets.Status
		acknowledged              bool
		firedRules                []string
	}{
		{"a VIP customer lands in the vip queue at high impact",
			customer("v1@bigcorp.example", "ceo@bigcorp.example", "Dashboard slow", "It is slow."),
			"vip", "", "P2", "vip", "", tickets.StatusNew, true, []string{"vip customers"}},
		{"a VIP customer with an urgent subject gets P1 from the matrix",
			customer("v2@bigcorp.example", "ceo@bigcorp.example", "URGENT: site down", "Down."),
			"vip", "", "P1", "vip", "", tickets.StatusNew, true, []string{"vip customers", "urgent in subject"}},
		{"an invoice question goes to billing and its agent",
			customer("i1@a.test", "alice@a.test", "Question about invoice 2026-118", "Two licences?"),
			"billing", "invoice", "P3", "", "ann@example.com", tickets.StatusNew, true, []string{"invoices"}},
		{"Importance: high from the mail raises urgency when the admin allows it",
			"From: bob@b.test\r\nTo: support@example.com\r\nSubject: help\r\nMessage-ID: <imp@b.test>\r\nImportance: high\r\n\r\nplease\r\n",
			"general", "", "P2", "", "", tickets.StatusNew, true, nil},
		{"a rule marks crypto spam: stored, not answered",
			customer("s1@x.test", "winner@x.test", "You won", "Claim your crypto giveaway now"),
			"general", "", "P3", "", "", tickets.StatusSpam, false, []string{"crypto spam"}},
		{"the upstream spam flag marks spam",
			"From: x@y.test\r\nTo: support@example.com\r\nSubject: hi\r\nMessage-ID: <sf@y.test>\r\nX-Spam-Flag: YES\r\n\r\nbuy\r\n",
			"general", "", "P3", "", "", tickets.StatusSpam, false, nil},
		{"a blocked sender's mail is spam",
			customer("b1@spammer.example", "bulk@mail.spammer.example", "Offer", "Cheap"),
			"general", "", "P3", "", "", tickets.StatusSpam, false, nil},
		{"a rule can suppress the acknowledgement",
			"From: nagios@monitor.test\r\nTo: support@example.com\r\nSubject: disk full\r\nMessage-ID: <al@m.test>\r\nX-Alert: disk\r\n\r\n95%\r\n",
			"general", "", "P3", "alert", "", tickets.StatusNew, false, []string{"monitoring alerts"}},
		{"no rule: the mailbox's queue at P3",
			customer("n1@a.test", "carol@c.test", "Hello", "A question."),
			"general", "", "P3", "", "", tickets.StatusNew, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := triageHarness(t)
			out := h.deliver("support", tc.raw)
			if !out.Created {
				t.Fatalf("outcome %+v", out)
			}
			tk, _ := h.desk.Store.Ticket(h.ctx, out.TicketID)
			got := fmt.Sprintf("%s|%s|%s|%s|%s|%s", tk.Queue, tk.Category, tk.Priority, strings.Join(tk.Tags, ","), tk.Assignee, tk.Status)
			want := fmt.Sprintf("%s|%s|%s|%s|%s|%s", tc.queue, tc.category, tc.priority, tc.tags, tc.assignee, tc.status)
			if got != want {
				t.Errorf("queue|category|priority|tags|assignee|status = %s, want %s", got, want)
			}
			h.flush()
			if sent := h.sentKinds(out.TicketID); (sent[tickets.KindAcknowledgement] == 1) != tc.acknowledged {
				t.Errorf("sent %v, want acknowledged=%v", sent, tc.acknowledged)
			}
			events := h.events(out.TicketID)
			for _, r := range tc.firedRules {
				if !hasEventLike(events, tickets.EventRule, fmt.Sprintf("rule %q", r)) {
					t.Errorf("no event for rule %q in %+v", r, events)
				}
			}
		})
	}
}

func TestNearDuplicateMailIsMergedIntoTheOpenTicket(t *testing.T) {
	h := triageHarness(t)
	first := h.deliver("support", customer("d1@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	// The same request again a minute later, from another client, with a Fwd: prefix.
	h.now = h.now.Add(time.Minute)
	again := h.deliver("support", customer("d2@a.test", "alice@a.test", "Fwd: Printer on fire", "The printer in room 4 is on fire.  Please help!"))
	if again.Created || again.TicketID != first.TicketID || again.ThreadedBy != "duplicate" {
		t.Fatalf("the repeat: %+v, want it merged into %s", again, first.Ref)
	}
	if !hasEventLike(h.events(first.TicketID), tickets.EventDuplicate, "near-identical") {
		t.Errorf("no duplicate event on %s", first.Ref)
	}
	other := h.deliver("support", customer("d3@a.test", "alice@a.test", "Printer on fire", "Also the coffee machine is broken, different problem."))
	if !other.Created {
		t.Errorf("a different text with the same subject: %+v, want a new ticket", other)
	}
	h.now = h.now.Add(20 * time.Minute)
	late := h.deliver("support", customer("d4@a.test", "alice@a.test", "Printer on fire", "The printer in room 4 is on fire. Please help."))
	if !late.Created {
		t.Errorf("the same text after the window: %+v, want a new ticket", late)
	}
	if st := h.flush(); st.Sent != 3 {
		t.Errorf("sent %d acknowledgements, want 3 (the merged mail gets none)", st.Sent)
	}
}

func TestMergeByHandSendsLaterRepliesToTheTarget(t *testing.T) {
	h := triageHarness(t)
	a := h.deliver("support", customer("m1@a.test", "alice@a.test", "VPN broken", "VPN fails"))
	b := h.deliver("support", customer("m2@b.test", "bob@b.test", "VPN down for me too", "Same here"))
	if err := h.desk.Service.Merge(h.ctx, b.TicketID, a.TicketID, "test"); err != nil {
		t.Fatal(err)
	}
	src, _ := h.desk.Store.Ticket(h.ctx, b.TicketID)
	if src.Status != tickets.StatusMerged || src.MergedInto != a.TicketID {
		t.Errorf("merged ticket = %+v", src)
	}
	if n := len(h.messages(a.TicketID)); n != 4 {
		t.Errorf("target has %d messages, want both mails and both acknowledgements", n)
	}
	reply := h.deliver("support", "From: bob@b.test\r\nTo: support@example.com\r\nSubject: Re: ["+b.Ref+"] VPN down\r\nMessage-ID: <m3@b.test>\r\n\r\nstill down\r\n")
	if reply.TicketID != a.TicketID {
		t.Errorf("a reply to the merged ticket went to %s, want %s", reply.Ref, a.Ref)
	}
	if err := h.desk.Service.Merge(h.ctx, b.TicketID, a.TicketID, "test"); err == nil {
		t.Errorf("merging an already merged ticket again succeeded")
	}
}

// A robot's mail is recorded and never answered, whatever kind of robot.
func TestRobotsMailIsNeverAnswered(t *testing.T) {
	tests := []struct{ name, headers, subject string }{
		{"Auto-Submitted auto-replied", "Auto-Submitted: auto-replied\r\n", "Re: hello"},
		{"Auto-Submitted auto-generated", "Auto-Submitted: auto-generated\r\n", "Report"},
		{"X-Autoreply", "X-Autoreply: yes\r\n", "Re: hello"},
		{"X-Autorespond", "X-Autorespond: yes\r\n", "Re: hello"},
		{"Precedence bulk", "Precedence: bulk\r\n", "Newsletter"},
		{"Precedence junk", "Precedence: junk\r\n", "Offer"},
		{"Precedence list", "Precedence: list\r\n", "[list] topic"},
		{"List-Id", "List-Id: <dev.lists.example>\r\n", "[dev] topic"},
		{"X-Auto-Response-Suppress", "X-Auto-Response-Suppress: All\r\n", "Hello"},
		{"an out-of-office subject", "", "Out of Office: back on Monday"},
		{"an Abwesenheitsnotiz", "", "Abwesenheitsnotiz: Urlaub"},
		{"the desk's own loop header", "X-Helpdesk-Loop: example.com\r\n", "[HD#5] hello"},
		{"X-Failed-Recipients", "X-Failed-Recipients: gone@a.test\r\n", "Mail delivery failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			raw := "From: someone@a.test\r\nTo: support@example.com\r\nSubject: " + tc.subject + "\r\nMessage-ID: <r@a.test>\r\n" + tc.headers + "\r\nbody\r\n"
			out := h.deliver("support", raw)
			if out.Quarantined || out.TicketID == 0 {
				t.Fatalf("outcome %+v, want the mail recorded", out)
			}
			if st := h.flush(); st.Sent != 0 {
				t.Errorf("the desk answered a robot (%d mails)", st.Sent)
			}
			m := h.messages(out.TicketID)[0]
			if m.Kind != tickets.KindAutomatic || m.AutoReason == "" {
				t.Errorf("message kind %q reason %q, want automatic with a reason", m.Kind, m.AutoReason)
			}
		})
	}
	t.Run("a Message-ID the desk generated", func(t *testing.T) {
		h := newHarness(t)
		h.deliver("support", customer("c1@a.test", "alice@a.test", "Hello", "hi"))
		h.flush()
		own := h.sent()[0]
		// The desk's acknowledgement comes back, say through a forward
		// that kept its headers but lost the loop header.
		out := h.deliver("support", fmt.Sprintf("From: alice@a.test\r\nTo: support@example.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\n\r\nbody\r\n", own.subject, own.messageID))
		if st := h.flush(); st.Sent != 0 || out.TicketID == 0 {
			t.Errorf("outcome %+v, sent %d: want recorded and not answered", out, st.Sent)
		}
	})
}

// Staff and colleagues write from the desk's own domain, with Message-IDs
// in it: they are people, not the desk.
func TestMailFromTheDesksOwnDomainIsAnswered(t *testing.T) {
	h := newHarness(t)
	out := h.deliver("support", "From: Bob <bob@example.com>\r\nTo: support@example.com\r\nSubject: Laptop broken\r\nMessage-ID: <5f2c8e1a-77b2@example.com>\r\n\r\nMy laptop will not start.\r\n")
	if st := h.flush(); st.Sent != 1 {
		t.Errorf("outcome %+v, sent %d: want an acknowledgement to bob@example.com", out, st.Sent)
	}
}

func TestBounceIsLinkedToItsTicketAndStopsAutomaticMail(t *testing.T) {
	h := newHarness(t)
	first := h.deliver("support", customer("b1@a.test", "alice@a.test", "Help", "hello"))
	h.flush()
	ack := h.sent()[0]
	dsn := fmt.Sprintf("From: MAILER-DAEMON@mx.a.test (Mail Delivery System)\r\nTo: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <dsn1@mx.a.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.a.test\r\n\r\nFinal-Recipient: rfc822; alice@a.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nTo: alice@a.test\r\nMessage-ID: <%s>\r\nSubject: %s\r\n--B--\r\n", ack.messageID, ack.subject)
	out := h.deliver("support", dsn)
	if out.TicketID != first.TicketID || out.ThreadedBy != "bounce" {
		t.Fatalf("the bounce: %+v, want it on %s", out, first.Ref)
	}
	if !hasEventLike(h.events(first.TicketID), "bounce", "alice@a.test") {
		t.Errorf("no bounce event on %s: %+v", first.Ref, h.events(first.TicketID))
	}
	next := h.deliver("support", customer("b2@a.test", "alice@a.test", "Another question", "hello again"))
	if st := h.flush(); st.Sent != 0 {
		t.Errorf("sent %d mails to a bouncing address", st.Sent)
	}
	if !hasEventLike(h.events(next.TicketID), tickets.EventNotAnswered, "bounced") {
		t.Errorf("no event says why %s got no acknowledgement: %+v", next.Ref, h.events(next.TicketID))
	}
	h.now = h.now.Add(25 * time.Hour)
	h.deliver("support", customer("b3@a.test", "alice@a.test", "A day later", "hello"))
	if st := h.flush(); st.Sent != 1 {
		t.Errorf("after the bounce hold, sent %d, want 1", st.Sent)
	}
}

func TestAutomaticMailToOneAddressIsRateLimited(t *testing.T) {
	h := newHarness(t)
	var last int64
	for i := range 7 {
		out := h.deliver("support", customer(fmt.Sprintf("rl%d@a.test", i), "busy@a.test", fmt.Sprintf("Question %d", i), fmt.Sprintf("text %d", i)))
		last = out.TicketID
	}
	if st := h.flush(); st.Sent != 5 {
		t.Errorf("sent %d acknowledgements to one address within the hour, want 5", st.Sent)
	}
	if !hasEventLike(h.events(last), tickets.EventRateLimited, "busy@a.test") {
		t.Errorf("no rate_limited event on the last ticket: %+v", h.events(last))
	}
	h.now = h.now.Add(time.Hour)
	h.deliver("support", customer("rl-later@a.test", "busy@a.test", "Later", "text"))
	if st := h.flush(); st.Sent != 1 {
		t.Errorf("an hour later sent %d, want 1", st.Sent)
	}
}

// The sisimai corpus: every bounce, feedback report and auto-reply is
// recorded and none is answered; the two ordinary mails are answered.
func TestSisimaiCorpusGetsNoAcknowledgement(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "sisimai")
	// The corpus writes from example.com: the desk must live elsewhere, or
	// its mail would look like the desk's own.
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(strings.ReplaceAll(configText(t, h.sink.Port()), "example.com", "desk.test")), "sisimai.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	var robots, robotsAnswered, people, peopleAnswered int
	files := corpusFiles(t, dir)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, derr := h.desk.Deliver(h.ctx, "support", raw)
		if derr != nil {
			t.Fatalf("%s: %v", filepath.Base(f), derr)
		}
		answered := out.Queued > 0
		if strings.HasPrefix(filepath.Base(f), "is-not-bounce") {
			people++
			if answered {
				peopleAnswered++
			}
			continue
		}
		robots++
		if answered {
			robotsAnswered++
			t.Errorf("%s was answered", filepath.Base(f))
		}
		if !out.Duplicate && !out.Quarantined {
			msgs := h.messages(out.TicketID)
			if m := msgs[len(msgs)-1]; m.Kind != tickets.KindAutomatic {
				t.Errorf("%s stored as %q, want automatic", filepath.Base(f), m.Kind)
			}
		}
	}
	if people > 0 && peopleAnswered != people {
		t.Errorf("%d of %d ordinary mails were answered, want all", peopleAnswered, people)
	}
	items, _ := h.desk.Store.Outbox(h.ctx, tickets.OutboxFilter{})
	t.Logf("sisimai: %d robot mails, %d answered; %d ordinary mails, %d answered; %d outbox items in all",
		robots, robotsAnswered, people, peopleAnswered, len(items))
}

func TestARuleCanPickAnotherAcknowledgementTemplate(t *testing.T) {
	h := newHarness(t)
	h.desk.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "acknowledgement_vip.subject"), []byte("Your account manager has {{.Ticket.Ref}}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "acknowledgement_vip.txt"), []byte("Dear {{.Customer.Name}}, we are on it.\n"), 0o644)
	rule := "[templates]\ndir = %q\n[[rule]]\nname = \"vip\"\n  [[rule.when]]\n  field = \"from_domain\"\n  op = \"domain\"\n  value = \"bigcorp.example\"\n  [rule.then]\n  ack_template = %q\n"
	cfg, err := config.Parse([]byte(configText(t, h.sink.Port())+fmt.Sprintf(rule, dir, "acknowledgement_vip")), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	h.deliver("support", customer("v@bigcorp.example", "Dana CEO <ceo@bigcorp.example>", "Help", "hi"))
	h.deliver("support", customer("o@other.example", "someone@other.example", "Help", "hi"))
	h.flush()
	subjects := ""
	for _, s := range h.sent() {
		subjects += s.subject + "|"
	}
	if !strings.Contains(subjects, "Your account manager has HD#1000") || strings.Count(subjects, "account manager") != 1 {
		t.Errorf("subjects sent: %s; want the vip template for bigcorp only", subjects)
	}

	bad, err := config.Parse([]byte(configText(t, h.sink.Port())+fmt.Sprintf(rule, dir, "acknowledgment_vip")), "bad.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Open(h.ctx, bad, desk.Options{}); err == nil || !strings.Contains(err.Error(), `rule[0].then.ack_template: no template "acknowledgment_vip"`) {
		t.Errorf("a rule naming a missing template: %v", err)
	}
}

// A support address that is a Google Group: every customer's mail carries
// the group's List-Id, and must still be answered.
func TestMailThroughTheSupportAddressesOwnListIsAnswered(t *testing.T) {
	h := newHarness(t)
	h.deliver("support", "From: alice@a.test\r\nTo: support@example.com\r\nSubject: Help\r\nMessage-ID: <g1@a.test>\r\n"+
		"List-Id: <support.example.com>\r\nList-Post: <mailto:support@example.com>\r\nPrecedence: list\r\n\r\nhello\r\n")
	h.deliver("support", "From: bob@b.test\r\nTo: dev@lists.test\r\nCc: support@example.com\r\nSubject: [dev] build broken\r\nMessage-ID: <g2@b.test>\r\n"+
		"List-Id: <dev.lists.test>\r\n\r\nhello\r\n")
	if st := h.flush(); st.Sent != 1 || h.sent()[0].rcpt[0] != "alice@a.test" {
		t.Errorf("sent %d (%v): want one acknowledgement, to alice (the other is a foreign list's)", st.Sent, h.sent())
	}
}
