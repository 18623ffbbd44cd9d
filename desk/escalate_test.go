package desk_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
)

// escalationTOML adds to staffTOML a second-level queue l2 (by least
// open tickets) with its agent Lena, and the vendor acme.
const escalationTOML = `
[[queue]]
name = "l2"
assignment = "least_open"

[[agent]]
name = "Lena Second"
email = "lena@example.com"
queues = ["l2"]

[[contact]]
name = "acme"
email = "support@acme.example"
`

// vendorTokenRE finds a vendor token in an address or a Message-ID.
var vendorTokenRE = regexp.MustCompile(`v-(\d+)-([a-z2-7]{8})-([a-z2-7]{12})`)

func TestEscalatingToAQueueMovesItAndTellsThatQueuesAgents(t *testing.T) {
	onEachDatabase(t, testEscalatingToAQueueMovesItAndTellsThatQueuesAgents)
}

func testEscalatingToAQueueMovesItAndTellsThatQueuesAgents(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, "#escalate l2 Needs a database specialist: the index is corrupt.")
	h.flush()

	tk := h.ticket(out.TicketID)
	if tk.Queue != "l2" || tk.Assignee != "lena@example.com" || tk.Status != tickets.StatusNew {
		t.Errorf("after the escalation: queue %s, assignee %s, status %s; want l2, Lena (by the queue's assignment), new", tk.Queue, tk.Assignee, tk.Status)
	}
	evs := h.events(tk.ID)
	if !hasEventLike(evs, tickets.EventEscalated, "escalated to queue l2 (from general) by ann@example.com: Needs a database specialist: the index is corrupt.") {
		t.Errorf("no escalation event naming who and why: %+v", evs)
	}
	if !hasEventLike(evs, tickets.EventAssigned, "assigned to lena@example.com (queue l2, least_open; escalated) (was ann@example.com)") {
		t.Errorf("no assignment by l2's strategy: %+v", evs)
	}
	// The history stays: the customer's first mail is still the ticket's.
	if msgs := h.messages(tk.ID); len(msgs) == 0 || msgs[0].Kind != tickets.KindCustomer || !strings.Contains(msgs[0].Text, "Room 4") {
		t.Errorf("the ticket lost its history: %+v", msgs)
	}
	lena := h.oneMailTo("lena@example.com", mark)
	if !strings.Contains(lena.subject, "Escalated to l2") || !strings.Contains(lena.text, "Ann Agent escalated ticket") ||
		!strings.Contains(lena.text, "Reason: Needs a database specialist: the index is corrupt.") || !strings.Contains(lena.text, "Room 4, please hurry.") {
		t.Errorf("Lena's notice:\nsubject %s\n%s", lena.subject, lena.text)
	}
	if !strings.Contains(lena.replyTo, "+a-") {
		t.Errorf("Lena's notice has Reply-To %q, want her agent token", lena.replyTo)
	}
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the customer got %d mails about an internal escalation: %+v", len(got), got)
	}
	if got := h.mailTo("ann@example.com", mark); len(got) != 0 {
		t.Errorf("Ann, who escalated, got %d mails: %+v", len(got), got)
	}

	// Lena can work it: her answer reaches the customer.
	mark = h.mark()
	answer := h.deliver("support", gmailReply("Lena Second <lena@example.com>", lena, "lena-1@example.com", "Hi Alice, we rebuilt the index."))
	h.flush()
	if answer.TicketID != tk.ID || len(h.mailTo("alice@a.test", mark)) != 1 {
		t.Errorf("Lena's answer did not reach the customer: %+v", answer)
	}
}

func TestAnUnknownEscalationTargetIsAWrongCommand(t *testing.T) {
	onEachDatabase(t, testAnUnknownEscalationTargetIsAWrongCommand)
}

func testAnUnknownEscalationTargetIsAWrongCommand(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"unknown queue", "#escalate nowhere Please help.", `no queue, contact or address "nowhere"`},
		{"manager without an escalation address", "#escalate manager Angry customer.", "queue general has no escalation address"},
		{"no target", "#escalate", "no target given"},
		{"the desk itself", "#escalate support@example.com", "the desk's own address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := agentHarness(t, escalationTOML)
			out, notice, _ := assigned(h)
			before := h.ticket(out.TicketID)
			mark := h.mark()
			answer(h, notice, tc.body+"\n\nHi Alice, a specialist will look at it.")
			h.flush()
			untouched(t, h, before, mark, "ann@example.com")
			got := h.oneMailTo("ann@example.com", mark)
			if !strings.Contains(got.subject, "Your reply was not taken") || !strings.Contains(got.text, tc.want) {
				t.Errorf("Ann's command error:\nsubject %s\n%s\nwant it to say %q", got.subject, got.text, tc.want)
			}
		})
	}
}

func TestEscalatingToTheManagerMailsTheQueuesEscalationAddress(t *testing.T) {
	onEachDatabase(t, testEscalatingToTheManagerMailsTheQueuesEscalationAddress)
}

func testEscalatingToTheManagerMailsTheQueuesEscalationAddress(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	// "Rechnung" goes to billing, whose escalation address is lead@example.com.
	mark := h.mark()
	out := h.deliver("support", customer("bill-1@a.test", "Alice <alice@a.test>", "Rechnung 42 doppelt", "Sie haben zweimal abgebucht."))
	h.flush()
	if tk := h.ticket(out.TicketID); tk.Queue != "billing" || tk.Assignee != "ann@example.com" {
		t.Fatalf("the ticket is in %s for %s, want billing for Ann", tk.Queue, tk.Assignee)
	}
	notice := h.oneMailTo("ann@example.com", mark)
	mark = h.mark()
	answer(h, notice, "#escalate manager The customer threatens to cancel.")
	h.flush()
	lead := h.oneMailTo("lead@example.com", mark)
	if !strings.Contains(lead.subject, "Escalated to you") || !strings.Contains(lead.text, "Ann Agent escalated ticket") ||
		!strings.Contains(lead.text, "Reason: The customer threatens to cancel.") || !strings.Contains(lead.text, "Sie haben zweimal abgebucht.") {
		t.Errorf("the escalation address got:\nsubject %s\n%s", lead.subject, lead.text)
	}
	if strings.Contains(lead.replyTo, "+a-") {
		t.Errorf("the escalation address, no agent, got an agent token in Reply-To %q", lead.replyTo)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventEscalated, "escalated to the manager lead@example.com (queue billing) by ann@example.com: The customer threatens to cancel.") {
		t.Errorf("no escalation event: %+v", h.events(out.TicketID))
	}
	if tk := h.ticket(out.TicketID); tk.Queue != "billing" || tk.Assignee != "ann@example.com" {
		t.Errorf("escalating to the manager moved the ticket: %s, %s", tk.Queue, tk.Assignee)
	}
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the customer got %d mails: %+v", len(got), got)
	}
}

// vendorEscalated opens Alice's ticket for Ann, and has Ann escalate it to
// acme; it returns the ticket and the mail acme got.
func vendorEscalated(t *testing.T, h *harness) (id int64, vendor delivered) {
	t.Helper()
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, "#escalate acme Firmware 2.1 makes the printer overheat.\n\nSerial number PRN-4711, bought in March.")
	h.flush()
	return out.TicketID, h.oneMailTo("support@acme.example", mark)
}

// vendorReply is the vendor's Outlook answer to its mail n.
func vendorReply(n delivered, id, body string) string {
	return outlookReply("Acme Support <support@acme.example>", n, id, body)
}

func TestAVendorGetsTheTicketAndItsAnswerIsAnInternalNote(t *testing.T) {
	onEachDatabase(t, testAVendorGetsTheTicketAndItsAnswerIsAnInternalNote)
}

func testAVendorGetsTheTicketAndItsAnswerIsAnInternalNote(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	id, vendor := vendorEscalated(t, h)

	// What the vendor sees: the summary and Ann's text, from the support
	// address, with a vendor token (not a customer's, not an agent's) in
	// Reply-To and in the Message-ID.
	if vendor.from != "support@example.com" || !strings.Contains(vendor.fromName, "Ann Agent") {
		t.Errorf("the vendor's mail is from %s <%s>, want Ann via the support address", vendor.fromName, vendor.from)
	}
	m := vendorTokenRE.FindStringSubmatch(vendor.replyTo)
	if !strings.HasPrefix(vendor.replyTo, "support+v-") || m == nil || m[1] != fmt.Sprint(id) {
		t.Errorf("the vendor's Reply-To is %q, want support+v-%d-…@example.com", vendor.replyTo, id)
	}
	if !vendorTokenRE.MatchString(vendor.messageID) {
		t.Errorf("the vendor's Message-ID %q carries no vendor token", vendor.messageID)
	}
	for _, want := range []string{"Firmware 2.1 makes the printer overheat.", "Serial number PRN-4711, bought in March.", "> Room 4, please hurry.", fmt.Sprintf("HD#%d", id)} {
		if !strings.Contains(vendor.text, want) {
			t.Errorf("the vendor's mail lacks %q:\n%s", want, vendor.text)
		}
	}
	if strings.Contains(vendor.text, "alice@a.test") || strings.Contains(vendor.text, "#escalate") {
		t.Errorf("the vendor's mail shows the customer's address or the command:\n%s", vendor.text)
	}
	if got := h.mailTo("alice@a.test", 0); len(got) != 1 { // the acknowledgement only
		t.Errorf("the customer got %d mails, want only the acknowledgement: Ann's text was for the vendor", len(got))
	}
	tk := h.ticket(id)
	if tk.Status != tickets.StatusPendingVendor {
		t.Errorf("status %s, want pending_vendor", tk.Status)
	}
	if !hasEventLike(h.events(id), tickets.EventEscalated, "escalated to vendor acme <support@acme.example> by ann@example.com") {
		t.Errorf("no escalation event: %+v", h.events(id))
	}

	// The vendor's out-of-office through the token: kept, nothing answers
	// it, the ticket still waits.
	mark := h.mark()
	ooo := strings.Replace(vendorReply(vendor, "ooo-1@acme.example", "I am out of the office until Monday."),
		"MIME-Version: 1.0", "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0", 1)
	h.deliver("support", ooo)
	h.flush()
	if h.mark() != mark || h.ticket(id).Status != tickets.StatusPendingVendor {
		t.Errorf("the vendor's auto-reply sent %d mails, status %s", h.mark()-mark, h.ticket(id).Status)
	}

	// The vendor answers.
	mark = h.mark()
	got := h.deliver("support", vendorReply(vendor, "acme-1@acme.example", "Fixed in firmware 2.2: please update."))
	h.flush()
	if got.TicketID != id || got.Created || got.ThreadedBy != "vendor-token" {
		t.Errorf("the vendor's answer: %+v, want it on ticket %d by its token", got, id)
	}
	note := h.message(id, "acme-1@acme.example")
	if note.Kind != tickets.KindNote || note.Author != "support@acme.example" || !strings.HasPrefix(note.Text, "Fixed in firmware 2.2") {
		t.Errorf("the vendor's answer is kept as kind %s by %q: %q; want an internal note", note.Kind, note.Author, note.Text)
	}
	if tk := h.ticket(id); tk.Status != tickets.StatusOpen {
		t.Errorf("status %s after the vendor's answer, want open", tk.Status)
	}
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the vendor's answer reached the customer: %+v", got)
	}
	if got := h.mailTo("support@acme.example", mark); len(got) != 0 {
		t.Errorf("the vendor's answer was acknowledged: %+v", got)
	}
	ann := h.oneMailTo("ann@example.com", mark)
	if !strings.Contains(ann.subject, "The vendor answered") || !strings.Contains(ann.text, "Fixed in firmware 2.2: please update.") ||
		!strings.Contains(ann.text, "the customer did not get it") || ann.files["checklist.pdf"] == "" {
		t.Errorf("Ann's notice of the vendor's answer:\nsubject %s\n%s\nfiles %v", ann.subject, ann.text, ann.files)
	}
	if !hasEventLike(h.events(id), tickets.EventVendorReply, "answer from vendor support@acme.example") {
		t.Errorf("no vendor_reply event: %+v", h.events(id))
	}

	// A vendor answer threaded only by the References of the mail the
	// desk sent it (its client answered the From) is a note too.
	byRef := strings.Replace(vendorReply(vendor, "acme-2@acme.example", "One more thing: reset the fuser."), vendor.replyTo, "support@example.com", 1)
	if got := h.deliver("support", byRef); got.TicketID != id || got.ThreadedBy != "vendor-message-id" {
		t.Errorf("the vendor's answer by References: %+v", got)
	}
	if m := h.message(id, "acme-2@acme.example"); m.Kind != tickets.KindNote {
		t.Errorf("the vendor's answer by References is kind %s", m.Kind)
	}
	// Its text is never read for commands.
	cmd := h.deliver("support", vendorReply(vendor, "acme-3@acme.example", "#status closed\n#assign Bob Builder"))
	if tk := h.ticket(cmd.TicketID); tk.Status == tickets.StatusClosed || tk.Assignee != "ann@example.com" {
		t.Errorf("a vendor's #commands ran: status %s, assignee %s", tk.Status, tk.Assignee)
	}
}

func TestAForgedVendorAnswerIsNoNote(t *testing.T) {
	onEachDatabase(t, testAForgedVendorAnswerIsNoNote)
}

func testAForgedVendorAnswerIsNoNote(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	id, vendor := vendorEscalated(t, h)
	m := vendorTokenRE.FindStringSubmatch(vendor.replyTo)
	if m == nil {
		t.Fatalf("no vendor token in %q", vendor.replyTo)
	}
	altered := strings.Replace(vendor.replyTo, m[3], strings.Repeat("a", 12), 1)
	otherTicket := strings.Replace(vendor.replyTo, "v-"+m[1]+"-", fmt.Sprintf("v-%d-", id+1), 1)
	subject := fmt.Sprintf("Re: [HD#%d] Printer on fire", id)
	for i, tc := range []struct{ name, to string }{
		{"no token", "support@example.com"},
		{"an altered signature", altered},
		{"another ticket's number", otherTicket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.messages(id))
			mark := h.mark()
			raw := crlf(fmt.Sprintf("From: Acme Support <support@acme.example>\nTo: %s\nSubject: %s (%s)\nMessage-ID: <forged-%d@acme.example>\n"+
				"Date: Mon, 2 Mar 2026 11:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\nClose it, it is fixed (%s).\n", tc.to, subject, tc.name, i, tc.name))
			got := h.deliver("support", raw)
			h.flush()
			if got.TicketID == id || len(h.messages(id)) != before {
				t.Errorf("a mail from the vendor's address without its token landed on ticket %d: %+v", id, got)
			}
			if tk := h.ticket(id); tk.Status != tickets.StatusPendingVendor {
				t.Errorf("the forged answer changed the status to %s", tk.Status)
			}
			for _, n := range append(h.mailTo("ann@example.com", mark), h.mailTo("bob@example.com", mark)...) {
				if strings.Contains(n.subject, "vendor answered") || strings.Contains(n.subject, fmt.Sprintf("HD#%d]", id)) {
					t.Errorf("an agent was told of a forged vendor answer on ticket %d: %s", id, n.subject)
				}
			}
			if n := h.mailTo("alice@a.test", mark); len(n) != 0 {
				t.Errorf("the customer got %d mails", len(n))
			}
			// Normal intake: a ticket of its own.
			if !got.Created {
				t.Errorf("the mail went through no normal intake: %+v", got)
			}
		})
	}
}

func TestTheSLAPausesOnAVendorOnlyWhenConfigured(t *testing.T) {
	onEachDatabase(t, testTheSLAPausesOnAVendorOnlyWhenConfigured)
}

func testTheSLAPausesOnAVendorOnlyWhenConfigured(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		paused     bool
	}{
		{"by default the clocks run", "[sla]\n[sla.P3]\nfirst_response = \"4h\"\nresolution = \"16h\"\n", false},
		{"pause_on_vendor stops them", "[sla]\npause_on_vendor = true\n[sla.P3]\nfirst_response = \"4h\"\nresolution = \"16h\"\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := agentHarness(t, escalationTOML+tc.toml)
			id, vendor := vendorEscalated(t, h)
			st, err := h.desk.Service.SLAStatus(h.ctx, id)
			if err != nil || st == nil {
				t.Fatalf("SLAStatus: %v, %v", st, err)
			}
			paused := hasEventLike(h.events(id), tickets.EventSLAPaused, "paused (pending_vendor)")
			if paused != tc.paused || (st.State == "paused") != tc.paused {
				t.Errorf("waiting on the vendor: paused event %v, state %s; want paused %v", paused, st.State, tc.paused)
			}
			h.deliver("support", vendorReply(vendor, "acme-1@acme.example", "Fixed."))
			if st, _ := h.desk.Service.SLAStatus(h.ctx, id); st == nil || st.State == "paused" {
				t.Errorf("after the vendor's answer the clocks stand still: %+v", st)
			}
		})
	}
}

func TestAVendorsRobotsGetNoAnswer(t *testing.T) {
	onEachDatabase(t, testAVendorsRobotsGetNoAnswer)
}

func testAVendorsRobotsGetNoAnswer(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	id, vendor := vendorEscalated(t, h)
	notes := func() int {
		n := 0
		for _, m := range h.messages(id) {
			if m.Kind == tickets.KindNote && m.Author == "support@acme.example" {
				n++
			}
		}
		return n
	}

	// The vendor's desk acknowledges the escalation as a new mail of its
	// own, without the token: normal intake, which answers no robot.
	mark := h.mark()
	ack := crlf("From: Acme Helpdesk <support@acme.example>\nTo: support@example.com\nSubject: [ACME-77] We received your request\n" +
		"Message-ID: <ack-77@acme.example>\nAuto-Submitted: auto-replied\nDate: Mon, 2 Mar 2026 10:10:00 +0000\nContent-Type: text/plain\n\nWe will answer within one business day.\n")
	h.deliver("support", ack)
	h.flush()
	if got := h.mailTo("support@acme.example", mark); len(got) != 0 {
		t.Errorf("the desk answered the vendor desk's acknowledgement: %+v", got)
	}

	// The mail to the vendor bounces: linked to the ticket, the address
	// marked as bouncing, no note, the ticket still waits.
	dsn := fmt.Sprintf("From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)\r\nTo: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <dsn1@mx.acme.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\nFinal-Recipient: rfc822; support@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nTo: support@acme.example\r\nMessage-ID: <%s>\r\nSubject: %s\r\n--B--\r\n", vendor.messageID, vendor.subject)
	mark = h.mark()
	out := h.deliver("support", dsn)
	h.flush()
	if out.TicketID != id || h.mark() != mark || notes() != 0 || h.ticket(id).Status != tickets.StatusPendingVendor {
		t.Errorf("the bounce: %+v, %d mails sent, %d vendor notes, status %s; want it on the ticket, nothing sent, no note, still pending_vendor",
			out, h.mark()-mark, notes(), h.ticket(id).Status)
	}
	if !hasEventLike(h.events(id), "bounce", "mail to support@acme.example bounced") {
		t.Errorf("no bounce event for the vendor's address: %+v", h.events(id))
	}
}

func TestEscalatingToAManualQueueWithAnAnswerLeavesItToThatQueue(t *testing.T) {
	onEachDatabase(t, testEscalatingToAManualQueueWithAnAnswerLeavesItToThatQueue)
}

func testEscalatingToAManualQueueWithAnAnswerLeavesItToThatQueue(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, "#escalate sales Wants a quote for 50 printers.\n\nHi Alice, our sales team will write to you.")
	h.flush()
	tk := h.ticket(out.TicketID)
	if tk.Queue != "sales" || tk.Assignee != "" || tk.Status != tickets.StatusPending {
		t.Errorf("queue %s, assignee %q, status %s; want sales, nobody (it assigns by hand: the answer does not make it Ann's), pending", tk.Queue, tk.Assignee, tk.Status)
	}
	if got := h.mailTo("alice@a.test", mark); len(got) != 1 || !strings.HasPrefix(got[0].text, "Hi Alice, our sales team will write to you.") {
		t.Errorf("the customer got %+v, want Ann's answer", got)
	}
	bob := h.oneMailTo("bob@example.com", mark)
	if !strings.Contains(bob.subject, "Escalated to sales") || !strings.Contains(bob.text, "Wants a quote for 50 printers.") {
		t.Errorf("Bob's notice:\nsubject %s\n%s", bob.subject, bob.text)
	}

	// #assign with #escalate QUEUE is a wrong command: the queue assigns.
	h = agentHarness(t, escalationTOML)
	out, notice, _ = assigned(h)
	before := h.ticket(out.TicketID)
	mark = h.mark()
	answer(h, notice, "#escalate l2\n#assign Bob Builder")
	h.flush()
	untouched(t, h, before, mark, "ann@example.com")
	if got := h.oneMailTo("ann@example.com", mark); !strings.Contains(got.text, "leave out #assign and #take") {
		t.Errorf("Ann's command error:\n%s", got.text)
	}
}

func TestAVendorAnswerFailingDMARCChangesNothing(t *testing.T) {
	h := agentHarness(t, escalationTOML)
	h.desk.Close()
	cfg := h.desk.Config()
	cfg.Security.TrustedAuthservIDs = []string{"mx.example.com"}
	h.open(cfg)
	out, notice, _ := assigned(h)
	mark := h.mark()
	h.deliver("support", "Authentication-Results: mx.example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n"+
		gmailReply("Ann Agent <ann@example.com>", notice, "ann-esc@example.com", "#escalate acme Please check the firmware."))
	h.flush()
	vendor := h.oneMailTo("support@acme.example", mark)

	mark = h.mark()
	got := h.deliver("support", "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=acme.example; dmarc=fail (p=none) header.from=acme.example\r\n"+
		vendorReply(vendor, "acme-forged@acme.example", "Fixed, close it."))
	h.flush()
	if !got.Unverified || h.ticket(out.TicketID).Status != tickets.StatusPendingVendor || h.mark() != mark {
		t.Errorf("a vendor answer failing DMARC: %+v, status %s, %d mails; want it kept unverified, nothing changed or sent", got, h.ticket(out.TicketID).Status, h.mark()-mark)
	}
	if m := h.message(out.TicketID, "acme-forged@acme.example"); m.Kind != tickets.KindNote || !m.Unverified {
		t.Errorf("kept as kind %s, unverified %v", m.Kind, m.Unverified)
	}
	h.deliver("support", "Authentication-Results: mx.example.com; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example\r\n"+
		vendorReply(vendor, "acme-real@acme.example", "Fixed in firmware 2.2."))
	if st := h.ticket(out.TicketID).Status; st != tickets.StatusOpen {
		t.Errorf("the vendor's verified answer left the ticket %s", st)
	}
}

func TestASilentVendorRemindsTheAssigneeOnce(t *testing.T) {
	onEachDatabase(t, testASilentVendorRemindsTheAssigneeOnce)
}

func testASilentVendorRemindsTheAssigneeOnce(t *testing.T) {
	h := agentHarness(t, escalationTOML+"\n[lifecycle]\nvendor_reminder_after = \"2d\"\n")
	escalated := h.now
	id, _ := vendorEscalated(t, h)

	// A day on, nothing is due.
	h.now = escalated.Add(24 * time.Hour)
	if runs := h.runDue(); slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("a reminder after one day of two: %v", runs)
	}
	mark := h.mark()
	h.now = escalated.Add(48*time.Hour + time.Minute)
	if runs := h.runDue(); !slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("after two days: %v, want a reminder", runs)
	}
	h.flush()
	ann := h.oneMailTo("ann@example.com", mark)
	if !strings.Contains(ann.subject, fmt.Sprintf("[HD#%d] Still waiting on the vendor", id)) ||
		!strings.Contains(ann.text, "acme <support@acme.example>") || !strings.Contains(ann.text, "#escalate CONTACT") {
		t.Errorf("Ann's reminder:\nsubject %s\n%s", ann.subject, ann.text)
	}
	if got := h.mailTo("support@acme.example", mark); len(got) != 0 {
		t.Errorf("the vendor was mailed again: %+v", got)
	}
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the customer was mailed: %+v", got)
	}
	if st := h.ticket(id).Status; st != tickets.StatusPendingVendor {
		t.Errorf("status %s after the reminder, want pending_vendor", st)
	}

	// Once: a week later nothing more comes.
	h.now = h.now.Add(7 * 24 * time.Hour)
	if runs := h.runDue(); slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("a second reminder: %v", runs)
	}
	// Asking the vendor again starts the wait anew.
	h.flush()
	mark = h.mark()
	answer(h, ann, "#escalate acme Any news on firmware 2.1?")
	h.flush()
	vendor := h.oneMailTo("support@acme.example", mark)
	mark = h.mark()
	h.now = h.now.Add(48*time.Hour + time.Minute)
	if runs := h.runDue(); !slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("no reminder two days after asking again: %v", runs)
	}
	h.flush()
	if got := h.oneMailTo("ann@example.com", mark); !strings.Contains(got.subject, "Still waiting on the vendor") {
		t.Errorf("the second wait's reminder: %s", got.subject)
	}

	// A vendor that answers in time is not chased.
	answer(h, ann, "#escalate acme And firmware 2.3?")
	h.flush()
	vendor = h.oneMailTo("support@acme.example", mark)
	h.now = h.now.Add(24 * time.Hour)
	h.deliver("support", vendorReply(vendor, "acme-9@acme.example", "Fixed in firmware 2.3."))
	h.flush()
	mark = h.mark()
	h.now = h.now.Add(24*time.Hour + time.Minute)
	if runs := h.runDue(); slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("a reminder after the vendor answered: %v", runs)
	}
	h.flush()
	if got := h.mailTo("ann@example.com", mark); len(got) != 0 {
		t.Errorf("Ann got %d mails after the vendor answered in time", len(got))
	}

	// A wait set by hand (agreed by phone) is chased too, naming no vendor.
	if _, err := h.desk.Service.SetStatus(h.ctx, id, tickets.StatusPendingVendor, "", "admin"); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(48*time.Hour + time.Minute)
	if runs := h.runDue(); !slices.Contains(runs, "vendor_reminder: reminded") {
		t.Fatalf("no reminder of a wait set by hand: %v", runs)
	}
	h.flush()
	if got := h.oneMailTo("ann@example.com", mark); !strings.Contains(got.text, "has waited on a vendor since") || strings.Contains(got.text, "acme") {
		t.Errorf("the reminder of a wait set by hand:\n%s", got.text)
	}
}
