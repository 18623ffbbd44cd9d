package desk_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"

	"helpdesk/config"
	"helpdesk/desk"
	"helpdesk/tickets"
)

// staffTOML is the team of the agent tests: queue general by round
// robin (Ann, Bob, and Cy, who is away), billing by least open tickets
// (Ann and Bob), and sales by hand (Bob). Only Ann speaks German: a rule
// sends "Rechnung" to billing and asks for skill de.
const staffTOML = `
[[queue]]
name = "general"
assignment = "round_robin"
[[queue]]
name = "billing"
assignment = "least_open"
escalation = "lead@example.com"
[[queue]]
name = "sales"
assignment = "manual"

[[agent]]
name = "Ann Agent"
email = "ann@example.com"
aliases = ["ann.agent@gmail.test"]
queues = ["general", "billing"]
skills = ["billing", "de"]
[[agent]]
name = "Bob Builder"
email = "bob@example.com"
queues = ["general", "billing", "sales"]
skills = ["billing"]
[[agent]]
name = "Cy Away"
email = "cy@example.com"
queues = ["general"]
away = true

[[rule]]
name = "german invoices"
  [[rule.when]]
  field = "subject"
  op = "contains"
  value = "Rechnung"
  [rule.then]
  queue = "billing"
  skill = "de"
`

// agentHarness is a desk with the mailboxes support (queue general) and
// sales (queue sales), the team of staffTOML, and more TOML after it.
func agentHarness(t *testing.T, more string) *harness {
	t.Helper()
	h := newHarness(t)
	h.desk.Close()
	cfg, err := config.Parse([]byte(baseTOML(testDSN(t), h.sink.Port())+`
[[mailbox]]
name = "sales"
address = "sales@example.com"
queue = "sales"
`+staffTOML+more), "agents.toml")
	if err != nil {
		t.Fatal(err)
	}
	h.open(cfg)
	return h
}

// sentKinds counts the mails of ticket id the SMTP server took, by kind.
func (h *harness) sentKinds(id int64) map[string]int {
	h.t.Helper()
	items, err := h.desk.Store.Outbox(h.ctx, tickets.OutboxFilter{TicketID: id, Status: tickets.OutboxSent})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range items {
		out[it.Message.Kind]++
	}
	return out
}

// delivered is a mail as its recipient's client shows it.
type delivered struct {
	rcpt                []string
	from, fromName      string
	replyTo             string
	subject, messageID  string
	inReplyTo           string
	references          []string
	autoSubmitted, text string
	files               map[string]string // attachment name -> content
}

// mailTo returns the mails the SMTP server took for addr since mark (an
// index into its mails).
func (h *harness) mailTo(addr string, mark int) []delivered {
	h.t.Helper()
	var out []delivered
	for _, r := range h.sink.Mails()[mark:] {
		if !slices.Contains(r.To, addr) {
			continue
		}
		mr, err := mail.CreateReader(bytes.NewReader(r.Data))
		if err != nil {
			h.t.Fatalf("reading a sent mail: %v\n%s", err, r.Data)
		}
		d := delivered{rcpt: r.To, files: map[string]string{}}
		if as, _ := mr.Header.AddressList("From"); len(as) > 0 {
			d.from, d.fromName = as[0].Address, as[0].Name
		}
		if as, _ := mr.Header.AddressList("Reply-To"); len(as) > 0 {
			d.replyTo = as[0].Address
		}
		d.subject, _ = mr.Header.Subject()
		d.messageID, _ = mr.Header.MessageID()
		if ids, _ := mr.Header.MsgIDList("In-Reply-To"); len(ids) > 0 {
			d.inReplyTo = ids[0]
		}
		d.references, _ = mr.Header.MsgIDList("References")
		d.autoSubmitted = mr.Header.Get("Auto-Submitted")
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				h.t.Fatal(err)
			}
			b, _ := io.ReadAll(p.Body)
			switch ph := p.Header.(type) {
			case *mail.InlineHeader:
				if ct, _, _ := ph.ContentType(); ct == "text/plain" {
					d.text = strings.ReplaceAll(string(b), "\r\n", "\n")
				}
			case *mail.AttachmentHeader:
				name, _ := ph.Filename()
				d.files[name] = string(b)
			}
		}
		out = append(out, d)
	}
	return out
}

// oneMailTo is mailTo that wants exactly one mail.
func (h *harness) oneMailTo(addr string, mark int) delivered {
	h.t.Helper()
	got := h.mailTo(addr, mark)
	if len(got) != 1 {
		h.t.Fatalf("%d mails to %s, want 1: %+v", len(got), addr, got)
	}
	return got[0]
}

func (h *harness) mark() int { return len(h.sink.Mails()) }

func assignees(h *harness, outs ...int64) []string {
	var got []string
	for _, id := range outs {
		got = append(got, h.ticket(id).Assignee)
	}
	return got
}

func TestRoundRobinSkipsAgentsAwayAndAtCapacity(t *testing.T) {
	onEachDatabase(t, testRoundRobinSkipsAgentsAwayAndAtCapacity)
}

func testRoundRobinSkipsAgentsAwayAndAtCapacity(t *testing.T) {
	h := agentHarness(t, "")
	var ids []int64
	for i := range 3 {
		ids = append(ids, h.deliver("support", customer(fmt.Sprintf("rr%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Help", "It broke.")).TicketID)
	}
	// Cy is away: Ann, Bob, Ann.
	if got := assignees(h, ids...); !slices.Equal(got, []string{"ann@example.com", "bob@example.com", "ann@example.com"}) {
		t.Errorf("round robin gave %v, want ann, bob, ann", got)
	}
	if !hasEventLike(h.events(ids[1]), tickets.EventAssigned, "assigned to bob@example.com (queue general, round_robin)") {
		t.Errorf("no assignment event: %+v", h.events(ids[1]))
	}

	// Capacity: Bob takes at most one open ticket, so Ann gets the rest.
	h = agentHarness(t, "")
	h.desk.Close()
	cfg := h.desk.Config()
	cfg.Agents[1].MaxOpen = 1
	h.open(cfg)
	ids = nil
	for i := range 3 {
		ids = append(ids, h.deliver("support", customer(fmt.Sprintf("cap%d@a.test", i), fmt.Sprintf("c%d@a.test", i), "Help", "It broke.")).TicketID)
	}
	if got := assignees(h, ids...); !slices.Equal(got, []string{"ann@example.com", "bob@example.com", "ann@example.com"}) {
		t.Errorf("with Bob at capacity: %v, want ann, bob, ann", got)
	}
	cfg.Agents[0].MaxOpen = 2
	h.desk.Close()
	h.open(cfg)
	h.flush()
	mark := h.mark()
	out := h.deliver("support", customer("cap-full@a.test", "full@a.test", "Help", "It broke."))
	if tk := h.ticket(out.TicketID); tk.Assignee != "" {
		t.Errorf("everyone full: assigned to %s, want nobody", tk.Assignee)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventAssigned, "unassigned: no agent of queue general fits (ann@example.com: 2 of 2 open; bob@example.com: 1 of 1 open; cy@example.com: away)") {
		t.Errorf("no event saying why nobody got it: %+v", h.events(out.TicketID))
	}
	// Nobody has it: every agent of the queue who is not away hears of it.
	h.flush()
	for _, agent := range []string{"ann@example.com", "bob@example.com"} {
		if n := h.oneMailTo(agent, mark); !strings.Contains(n.subject, "Nobody has it yet") || !strings.Contains(n.text, "#take") {
			t.Errorf("notice to %s: %q\n%s", agent, n.subject, n.text)
		}
	}
	if got := h.mailTo("cy@example.com", mark); len(got) != 0 {
		t.Errorf("Cy, away, got %d mails", len(got))
	}
}

func TestLeastOpenAndSkillsPickTheAgent(t *testing.T) {
	onEachDatabase(t, testLeastOpenAndSkillsPickTheAgent)
}

func testLeastOpenAndSkillsPickTheAgent(t *testing.T) {
	h := agentHarness(t, `
[[rule]]
name = "billing"
  [[rule.when]]
  field = "subject"
  op = "contains"
  value = "invoice"
  [rule.then]
  queue = "billing"
`)
	// Ann has one open ticket in general already.
	first := h.deliver("support", customer("g1@a.test", "g@a.test", "Login", "Cannot log in."))
	if got := h.ticket(first.TicketID).Assignee; got != "ann@example.com" {
		t.Fatalf("first ticket went to %q", got)
	}
	// billing hands out by fewest open tickets: Bob (0), then a tie, which the order of the file breaks.
	b1 := h.deliver("support", customer("b1@a.test", "b@a.test", "Question about invoice 1", "Two licences?")).TicketID
	b2 := h.deliver("support", customer("b2@a.test", "b2@a.test", "invoice 2", "Wrong address")).TicketID
	if got := assignees(h, b1, b2); !slices.Equal(got, []string{"bob@example.com", "ann@example.com"}) {
		t.Errorf("least open gave %v, want bob, ann", got)
	}
	if !hasEventLike(h.events(b1), tickets.EventAssigned, "(queue billing, least_open)") {
		t.Errorf("events %+v", h.events(b1))
	}
	// A German invoice needs skill de: only Ann has it, though she has more open tickets.
	de := h.deliver("support", customer("de1@a.test", "kunde@a.test", "Frage zur Rechnung", "Zwei Lizenzen?")).TicketID
	if got := h.ticket(de); got.Queue != "billing" || got.Assignee != "ann@example.com" {
		t.Errorf("German invoice: queue %s, assignee %s; want billing, ann", got.Queue, got.Assignee)
	}
	if !hasEventLike(h.events(de), tickets.EventAssigned, "least_open, skill de") {
		t.Errorf("events %+v", h.events(de))
	}
	// With Ann away nobody speaks German: unassigned, and the event says why.
	h.desk.Close()
	cfg := h.desk.Config()
	cfg.Agents[0].Away = true
	h.open(cfg)
	de2 := h.deliver("support", customer("de2@a.test", "kunde2@a.test", "Rechnung falsch", "Bitte prüfen.")).TicketID
	if got := h.ticket(de2).Assignee; got != "" {
		t.Errorf("German invoice with Ann away went to %q", got)
	}
	if !hasEventLike(h.events(de2), tickets.EventAssigned, "ann@example.com: away; bob@example.com: no skill de") {
		t.Errorf("events %+v", h.events(de2))
	}
}

func TestAManualQueueAssignsNobodyAndTellsItsAgents(t *testing.T) {
	h := agentHarness(t, "")
	out := h.deliver("sales", strings.Replace(customer("s1@a.test", "lead@a.test", "Quote for 50 seats", "Price?"), "support@example.com", "sales@example.com", 1))
	if got := h.ticket(out.TicketID).Assignee; got != "" {
		t.Errorf("manual queue assigned %q", got)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventAssigned, "unassigned: queue sales assigns by hand") {
		t.Errorf("events %+v", h.events(out.TicketID))
	}
	h.flush()
	n := h.oneMailTo("bob@example.com", 0)
	if !strings.Contains(n.subject, "["+out.Ref+"]") || !strings.HasPrefix(n.replyTo, "sales+a-") || !strings.Contains(n.text, "Price?") {
		t.Errorf("notice to Bob: subject %q, Reply-To %q\n%s", n.subject, n.replyTo, n.text)
	}
	if got := h.mailTo("ann@example.com", 0); len(got) != 0 {
		t.Errorf("Ann, not in sales, got %d mails", len(got))
	}
	// Bob answers: the ticket nobody had is his.
	mark := h.mark()
	h.deliver("sales", gmailReply("Bob Builder <bob@example.com>", n, "bob-1@example.com", "Hello, 50 seats cost 4,000 EUR a year."))
	h.flush()
	if got := h.ticket(out.TicketID); got.Assignee != "bob@example.com" || got.Status != tickets.StatusPending {
		t.Errorf("after Bob's answer: assignee %q, status %s", got.Assignee, got.Status)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventAssigned, "assigned to bob@example.com: answered an unassigned ticket") {
		t.Errorf("events %+v", h.events(out.TicketID))
	}
	if got := h.mailTo("lead@a.test", mark); len(got) != 1 || got[0].from != "sales@example.com" || !strings.HasPrefix(got[0].replyTo, "sales+") {
		t.Errorf("the customer got %+v, want Bob's answer from the sales address", got)
	}
}

func TestAnAssignedAgentGetsTheTicketWithItsFilesAndAPrivateReplyAddress(t *testing.T) {
	onEachDatabase(t, testAnAssignedAgentGetsTheTicketWithItsFilesAndAPrivateReplyAddress)
}

func testAnAssignedAgentGetsTheTicketWithItsFilesAndAPrivateReplyAddress(t *testing.T) {
	h := agentHarness(t, "")
	raw := "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Printer on fire\r\nMessage-ID: <p1@a.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nRoom 4, see the photo.\r\n" +
		"--XX\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"fire.png\"\r\n\r\nPNGDATA\r\n--XX--\r\n"
	out := h.deliver("support", raw)
	h.flush()
	n := h.oneMailTo("ann@example.com", 0)
	switch {
	case !strings.Contains(n.subject, "["+out.Ref+"]") || !strings.Contains(n.subject, "Printer on fire"):
		t.Errorf("subject %q", n.subject)
	case n.from != "support@example.com" || n.autoSubmitted != "auto-generated":
		t.Errorf("From %q, Auto-Submitted %q", n.from, n.autoSubmitted)
	case !strings.HasPrefix(n.replyTo, "support+a-") || !strings.HasSuffix(n.replyTo, "@example.com"):
		t.Errorf("Reply-To %q, want an agent token of the support address", n.replyTo)
	case !strings.Contains(n.text, "Room 4, see the photo.") || !strings.Contains(n.text, "Priority: P3") ||
		!strings.Contains(n.text, "Queue:    general") || !strings.Contains(n.text, out.Ref):
		t.Errorf("text lacks the customer's words, priority, queue or ref:\n%s", n.text)
	case n.files["fire.png"] != "PNGDATA":
		t.Errorf("attachments %v, want fire.png", n.files)
	}
	// The customer's own token is not the agent's.
	ack := h.oneMailTo("alice@a.test", 0)
	if ack.replyTo == n.replyTo || strings.Contains(ack.replyTo, "+a-") {
		t.Errorf("customer Reply-To %q and agent Reply-To %q", ack.replyTo, n.replyTo)
	}

	// A reply of the customer reaches Ann, without the quoted history.
	mark := h.mark()
	h.deliver("support", fmt.Sprintf("From: Alice <alice@a.test>\r\nTo: %s\r\nSubject: Re: [%s] Printer on fire\r\nMessage-ID: <p2@a.test>\r\nIn-Reply-To: <%s>\r\n\r\nNow it smokes too.\r\n\r\nOn Mon, 2 Mar 2026 at 09:00, Example Support <support@example.com> wrote:\r\n> We have received your request\r\n", ack.replyTo, out.Ref, ack.messageID))
	h.flush()
	r := h.oneMailTo("ann@example.com", mark)
	if !strings.Contains(r.subject, "Customer replied") || !strings.Contains(r.text, "Now it smokes too.") || strings.Contains(r.text, "We have received") {
		t.Errorf("customer reply notice: %q\n%s", r.subject, r.text)
	}
	if got := h.mailTo("bob@example.com", 0); len(got) != 0 {
		t.Errorf("Bob, not the assignee, got %d mails", len(got))
	}
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// gmailReply is how Gmail answers a mail n of the desk: to its Reply-To,
// the new text on top, then an "On ... wrote:" line folded by the client
// and the whole mail quoted with "> ".
func gmailReply(from string, n delivered, id, body string) string {
	quoted := "> " + strings.ReplaceAll(strings.TrimRight(n.text, "\n"), "\n", "\n> ")
	return crlf(fmt.Sprintf("From: %s\nTo: Example Support <%s>\nSubject: Re: %s\nMessage-ID: <%s>\nIn-Reply-To: <%s>\nReferences: <%s>\n"+
		"Date: Mon, 2 Mar 2026 10:05:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"UTF-8\"\n\n%s\n\n"+
		"On Mon, Mar 2, 2026 at 10:00 AM Example Support <\nsupport@example.com> wrote:\n\n%s\n",
		from, n.replyTo, n.subject, id, n.messageID, n.messageID, body, quoted))
}

// outlookReply is how Outlook answers it: "RE:", the new text on top and
// the original below a From/Sent/To/Subject block, unquoted, in a text
// and an HTML part, with a file attached.
func outlookReply(from string, n delivered, id, body string) string {
	original := fmt.Sprintf("From: Example Support <support@example.com>\nSent: Monday, March 2, 2026 10:00 AM\nTo: Ann Agent <ann@example.com>\nSubject: %s\n\n%s", n.subject, n.text)
	html := "<html><body><div>" + strings.ReplaceAll(body, "\n", "<br>") + "</div><div><hr><b>From:</b> Example Support</div></body></html>"
	return crlf(fmt.Sprintf("From: %s\nTo: \"Example Support\" <%s>\nSubject: RE: %s\nThread-Topic: %s\nThread-Index: AQHaabc=\nMessage-ID: <%s>\n"+
		"In-Reply-To: <%s>\nReferences: <%s>\nDate: Mon, 2 Mar 2026 10:07:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mix\"\n\n"+
		"--mix\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\nContent-Type: text/plain; charset=\"us-ascii\"\n\n%s\n\n%s\n"+
		"--alt\nContent-Type: text/html; charset=\"us-ascii\"\n\n%s\n--alt--\n\n"+
		"--mix\nContent-Type: application/pdf; name=\"checklist.pdf\"\nContent-Disposition: attachment; filename=\"checklist.pdf\"\n\n%%PDF-checklist\n--mix--\n",
		from, n.replyTo, n.subject, n.subject, id, n.messageID, n.messageID, body, original, html))
}

// appleMailGermanReply is how Apple Mail in German answers it: the new
// text on top, an "Am ... schrieb ...:" line and the mail quoted.
func appleMailGermanReply(from string, n delivered, id, body string) string {
	quoted := "> " + strings.ReplaceAll(strings.TrimRight(n.text, "\n"), "\n", "\n> ")
	return crlf(fmt.Sprintf("From: %s\nTo: Example Support <%s>\nSubject: Re: %s\nMessage-ID: <%s>\nIn-Reply-To: <%s>\nReferences: <%s>\n"+
		"Date: Mon, 2 Mar 2026 10:05:00 +0100\nMIME-Version: 1.0 (Mac OS X Mail 16.0)\nContent-Type: text/plain; charset=utf-8\nX-Mailer: Apple Mail (2.3774)\n\n%s\n\n"+
		"> Am 02.03.2026 um 10:00 schrieb Example Support <support@example.com>:\n>\n%s\n",
		from, n.replyTo, n.subject, id, n.messageID, n.messageID, body, quoted))
}

// outlookGermanReply is how a German Outlook answers it: the original
// below a Von/Gesendet/An/Betreff block, unquoted.
func outlookGermanReply(from string, n delivered, id, body string) string {
	original := fmt.Sprintf("Von: Example Support <support@example.com>\nGesendet: Montag, 2. März 2026 10:00\nAn: Ann Agent <ann@example.com>\nBetreff: %s\n\n%s", n.subject, n.text)
	return crlf(fmt.Sprintf("From: %s\nTo: \"Example Support\" <%s>\nSubject: AW: %s\nThread-Topic: %s\nMessage-ID: <%s>\n"+
		"In-Reply-To: <%s>\nReferences: <%s>\nDate: Mon, 2 Mar 2026 10:07:00 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\n\n%s\n\n%s\n",
		from, n.replyTo, n.subject, n.subject, id, n.messageID, n.messageID, body, original))
}

// assigned opens a ticket of Alice that round robin gives Ann, and returns
// it with the notice Ann got and the acknowledgement Alice got.
func assigned(h *harness) (desk.Outcome, delivered, delivered) {
	h.t.Helper()
	mark := h.mark()
	out := h.deliver("support", customer(fmt.Sprintf("c%d@a.test", mark), "Alice <alice@a.test>", "Printer on fire", "Room 4, please hurry."))
	if got := h.ticket(out.TicketID).Assignee; got != "ann@example.com" {
		h.t.Fatalf("the ticket went to %q, want Ann", got)
	}
	h.flush()
	var ack delivered
	if acks := h.mailTo("alice@a.test", mark); len(acks) > 0 { // none to an unverified sender
		ack = acks[0]
	}
	return out, h.oneMailTo("ann@example.com", mark), ack
}

// message returns the stored message with Message-ID id on ticket ticketID.
func (h *harness) message(ticketID int64, id string) tickets.Message {
	h.t.Helper()
	for _, m := range h.messages(ticketID) {
		if m.MessageID == id {
			return m
		}
	}
	h.t.Fatalf("no message %s on ticket %d", id, ticketID)
	return tickets.Message{}
}

func TestAgentRepliesReachTheCustomerWithoutTheQuotedHistory(t *testing.T) {
	onEachDatabase(t, testAgentRepliesReachTheCustomerWithoutTheQuotedHistory)
}

func testAgentRepliesReachTheCustomerWithoutTheQuotedHistory(t *testing.T) {
	for _, client := range []struct {
		name  string
		reply func(from string, n delivered, id, body string) string
		files map[string]string
	}{
		{"gmail", gmailReply, map[string]string{}},
		{"outlook", outlookReply, map[string]string{"checklist.pdf": "%PDF-checklist"}},
		{"apple mail in german", appleMailGermanReply, map[string]string{}},
		{"outlook in german", outlookGermanReply, map[string]string{}},
	} {
		t.Run(client.name, func(t *testing.T) {
			h := agentHarness(t, "")
			out, notice, ack := assigned(h)
			mark := h.mark()
			answerAt := h.now
			res := h.deliver("support", client.reply("Ann Agent <ann@example.com>", notice, "ann-1@example.com",
				"Hi Alice,\n\nthe technician comes at 3 pm.\n\nAnn"))
			if res.TicketID != out.TicketID || res.ThreadedBy != "agent-token" || res.Created {
				t.Fatalf("the agent's reply: %+v", res)
			}
			h.flush()
			got := h.oneMailTo("alice@a.test", mark)
			wantText := "Hi Alice,\n\nthe technician comes at 3 pm.\n\nAnn\n\n--\nAnn Agent\nExample Support, ticket " + out.Ref + "\n"
			switch {
			case got.from != "support@example.com" || got.fromName != "Ann Agent via Example Support":
				t.Errorf("From %q <%s>, want \"Ann Agent via Example Support\" <support@example.com>", got.fromName, got.from)
			case got.replyTo != ack.replyTo:
				t.Errorf("Reply-To %q, want the customer's token %q", got.replyTo, ack.replyTo)
			case !strings.Contains(got.subject, "["+out.Ref+"]") || strings.Contains(got.subject, "Assigned to you"):
				t.Errorf("subject %q", got.subject)
			case got.inReplyTo != "c0@a.test" || !slices.Contains(got.references, "c0@a.test"):
				t.Errorf("In-Reply-To %q, References %v; want the customer's mail c0@a.test", got.inReplyTo, got.references)
			case got.text != wantText:
				t.Errorf("the customer got:\n%s\nwant:\n%s", got.text, wantText)
			case got.autoSubmitted != "":
				t.Errorf("a person's answer marked Auto-Submitted: %s", got.autoSubmitted)
			}
			for name, body := range client.files {
				if got.files[name] != body {
					t.Errorf("attachments %v, want %s", got.files, name)
				}
			}
			if n := len(h.mailTo("ann@example.com", mark)); n != 0 {
				t.Errorf("Ann got %d mails about her own answer", n)
			}

			tk := h.ticket(out.TicketID)
			if tk.Status != tickets.StatusPending || !tk.FirstResponseAt.Equal(answerAt) {
				t.Errorf("status %s, first response %v; want pending at %v", tk.Status, tk.FirstResponseAt, answerAt)
			}
			msgs := h.messages(out.TicketID)
			agent, relay := msgs[len(msgs)-2], msgs[len(msgs)-1]
			if agent.Kind != tickets.KindAgent || agent.Author != "ann@example.com" || !strings.Contains(agent.Text, "Write your answer above this line") {
				t.Errorf("stored agent mail: kind %s, author %s, want the whole original kept:\n%s", agent.Kind, agent.Author, agent.Text)
			}
			if relay.Kind != tickets.KindAgentRelay || relay.Author != "ann@example.com" {
				t.Errorf("stored relay: kind %s, author %s", relay.Kind, relay.Author)
			}

			// The customer answers the agent: the ticket is open again and Ann hears of it.
			mark = h.mark()
			back := h.deliver("support", fmt.Sprintf("From: Alice <alice@a.test>\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <back@a.test>\r\nIn-Reply-To: <%s>\r\n\r\n3 pm is fine.\r\n", got.replyTo, got.subject, got.messageID))
			h.flush()
			if back.TicketID != out.TicketID || h.ticket(out.TicketID).Status != tickets.StatusOpen {
				t.Errorf("the customer's answer: %+v, status %s", back, h.ticket(out.TicketID).Status)
			}
			if r := h.oneMailTo("ann@example.com", mark); !strings.Contains(r.text, "3 pm is fine.") {
				t.Errorf("Ann's notice:\n%s", r.text)
			}
		})
	}
}

// answer is Ann's Gmail reply with body to her notice n.
func answer(h *harness, n delivered, body string) desk.Outcome {
	h.t.Helper()
	return h.deliver("support", gmailReply("Ann Agent <ann@example.com>", n, fmt.Sprintf("ann-%d@example.com", h.mark()), body))
}

func TestEachCommandChangesTheTicketAsTheAgent(t *testing.T) {
	onEachDatabase(t, testEachCommandChangesTheTicketAsTheAgent)
}

func testEachCommandChangesTheTicketAsTheAgent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		check      func(t *testing.T, h *harness, tk *tickets.Ticket)
		event      string // an event of Ann's, kind: detail
	}{
		{"status resolved", "#status resolved", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Status != tickets.StatusResolved || tk.ResolvedAt.IsZero() {
				t.Errorf("status %s, resolved at %v", tk.Status, tk.ResolvedAt)
			}
		}, "status: new -> resolved"},
		{"status closed, capitalized by a phone", "#Status Closed", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Status != tickets.StatusClosed || tk.ClosedAt.IsZero() {
				t.Errorf("status %s, closed at %v", tk.Status, tk.ClosedAt)
			}
		}, "status: new -> closed"},
		{"priority", "#priority p1", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Priority != "P1" {
				t.Errorf("priority %s", tk.Priority)
			}
		}, "priority: priority P3 -> P1"},
		{"assign by name", "#assign Bob Builder", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Assignee != "bob@example.com" {
				t.Errorf("assignee %s", tk.Assignee)
			}
			if n := h.mailTo("bob@example.com", 0); len(n) != 1 || !strings.Contains(n[0].subject, "Assigned to you") {
				t.Errorf("Bob was not told: %+v", n)
			}
		}, "assigned: assigned to bob@example.com (was ann@example.com)"},
		{"tag", "#tag +printer +urgent\n#tag -urgent hardware", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if !slices.Equal(tk.Tags, []string{"hardware", "printer"}) {
				t.Errorf("tags %v", tk.Tags)
			}
		}, "tags: tags +printer +urgent"},
		{"queue", "#queue billing", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Queue != "billing" {
				t.Errorf("queue %s", tk.Queue)
			}
		}, "queue: queue general -> billing"},
		{"note", "#note Called her: the fire is out.", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			msgs := h.messages(tk.ID)
			if m := msgs[len(msgs)-1]; m.Kind != tickets.KindNote || m.Author != "ann@example.com" || m.Direction != tickets.In {
				t.Errorf("last message: kind %s, author %s", m.Kind, m.Author)
			}
			if tk.Status != tickets.StatusNew || !tk.FirstResponseAt.IsZero() {
				t.Errorf("a note answered the customer: status %s, first response %v", tk.Status, tk.FirstResponseAt)
			}
		}, "note: internal note from agent ann@example.com"},
		{"commands and an answer", "#status resolved\n#priority P2\n\nHi Alice, the fire is out.", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Status != tickets.StatusResolved || tk.Priority != "P2" || tk.FirstResponseAt.IsZero() {
				t.Errorf("status %s, priority %s, first response %v; want resolved (the command wins over pending), P2", tk.Status, tk.Priority, tk.FirstResponseAt)
			}
			// The answer first, then the resolved mail.
			got := h.mailTo("alice@a.test", 0)
			if len(got) != 3 || !strings.HasPrefix(got[1].text, "Hi Alice, the fire is out.\n") || strings.Contains(got[1].text, "#status") ||
				!strings.Contains(got[2].subject, "Resolved: Printer on fire") {
				t.Errorf("the customer got %d mails, the last:\n%s", len(got), got[len(got)-1].text)
			}
		}, "status: new -> resolved"},
		{"status resolved with the resolution on its line", "#status resolved Replaced the fuser unit.\n\nHi Alice, the fire is out.", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if tk.Status != tickets.StatusResolved || tk.Resolution != "Replaced the fuser unit." {
				t.Errorf("status %s, resolution %q", tk.Status, tk.Resolution)
			}
			got := h.mailTo("alice@a.test", 0)
			if len(got) != 3 || strings.Contains(got[1].text, "fuser") || !strings.Contains(got[2].text, "\nReplaced the fuser unit.\n") {
				t.Errorf("the customer got %d mails: %+v", len(got), got)
			}
		}, "resolution: Replaced the fuser unit."},
		{"status resolved with a resolution block", "#status resolved\n#resolution Root cause: a toner leak.\nFix: new cartridge, cleaned the drum.\n\nHi Alice, the fire is out.", func(t *testing.T, h *harness, tk *tickets.Ticket) {
			if want := "Root cause: a toner leak.\nFix: new cartridge, cleaned the drum."; tk.Resolution != want {
				t.Errorf("resolution %q, want %q", tk.Resolution, want)
			}
			got := h.mailTo("alice@a.test", 0)
			if len(got) != 3 || got[1].text == "" || strings.Contains(got[1].text, "toner") || !strings.HasPrefix(got[1].text, "Hi Alice, the fire is out.\n") ||
				!strings.Contains(got[2].text, "Root cause: a toner leak.\nFix: new cartridge, cleaned the drum.\n") {
				t.Errorf("the customer got %d mails: %+v", len(got), got)
			}
		}, "resolution: Root cause: a toner leak."},
	} {
		// (No "#" in a test's name: it names the test's SQLite file.)
		t.Run(tc.name, func(t *testing.T) {
			h := agentHarness(t, "")
			out, notice, _ := assigned(h)
			answer(h, notice, tc.body)
			h.flush()
			tk := h.ticket(out.TicketID)
			tc.check(t, h, tk)
			kind, detail, _ := strings.Cut(tc.event, ": ")
			found := false
			for _, e := range h.events(tk.ID) {
				found = found || e.Kind == kind && e.Actor == "ann@example.com" && strings.Contains(e.Detail, detail)
			}
			if !found {
				t.Errorf("no %s event by ann@example.com with %q: %+v", kind, detail, h.events(tk.ID))
			}
			if !strings.Contains(tc.body, "Hi Alice") {
				// A status change brings its status mail.
				want := 1
				switch tk.Status {
				case tickets.StatusResolved:
					want = 2
				case tickets.StatusClosed:
					want = 3 // and the survey
				}
				if n := len(h.mailTo("alice@a.test", 0)); n != want {
					t.Errorf("the customer got %d mails, want %d", n, want)
				}
			}
		})
	}
}

func TestTakeAndMergeFromTheMailClient(t *testing.T) {
	h := agentHarness(t, "")
	// Sales assigns by hand: Bob is told, and takes the ticket.
	first := h.deliver("sales", strings.Replace(customer("s1@a.test", "lead@a.test", "Quote", "50 seats?"), "support@example.com", "sales@example.com", 1))
	h.flush()
	notice := h.oneMailTo("bob@example.com", 0)
	mark := h.mark()
	h.deliver("sales", gmailReply("Bob Builder <bob@example.com>", notice, "bob-1@example.com", "#take"))
	h.flush()
	if got := h.ticket(first.TicketID).Assignee; got != "bob@example.com" {
		t.Errorf("after #take: assignee %q", got)
	}
	if n := len(h.mailTo("bob@example.com", mark)); n != 0 {
		t.Errorf("Bob was told %d times of taking the ticket himself", n)
	}
	// The lead writes again, as a new ticket; Bob merges it into the first.
	second := h.deliver("sales", strings.Replace(customer("s2@a.test", "lead@a.test", "Quote, again", "Any news?"), "support@example.com", "sales@example.com", 1))
	h.flush()
	notice2 := h.oneMailTo("bob@example.com", mark)
	h.deliver("sales", gmailReply("Bob Builder <bob@example.com>", notice2, "bob-2@example.com", "#merge "+first.Ref+"\n\nHello, the quote is on its way."))
	h.flush()
	if tk := h.ticket(second.TicketID); tk.Status != tickets.StatusMerged || tk.MergedInto != first.TicketID {
		t.Errorf("after #merge: %s status %s, merged into %d", second.Ref, tk.Status, tk.MergedInto)
	}
	if !hasEventLike(h.events(first.TicketID), tickets.EventMerged, second.Ref+" merged into this ticket") {
		t.Errorf("events %+v", h.events(first.TicketID))
	}
	got := h.mailTo("lead@a.test", mark)
	if len(got) != 3 || !strings.Contains(got[1].subject, "["+second.Ref+"] Continued as "+first.Ref) ||
		!strings.Contains(got[2].subject, "["+first.Ref+"]") || !strings.HasPrefix(got[2].text, "Hello, the quote is on its way.") {
		t.Errorf("the customer got %+v, want the merged mail, then the answer on %s", got, first.Ref)
	}
}

func TestAWrongCommandIsAnsweredToTheAgentAndNothingElseHappens(t *testing.T) {
	onEachDatabase(t, testAWrongCommandIsAnsweredToTheAgentAndNothingElseHappens)
}

func testAWrongCommandIsAnsweredToTheAgentAndNothingElseHappens(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, _ := assigned(h)
	before := h.ticket(out.TicketID)
	mark := h.mark()
	answer(h, notice, "#priority P1\n#status fixed\n#assign Zed\n\nHi Alice, all fixed.")
	h.flush()
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the customer got %d mails from a reply with a wrong command", len(got))
	}
	e := h.oneMailTo("ann@example.com", mark)
	for _, want := range []string{`line 2 "#status fixed": unknown status "fixed"`, `line 3 "#assign Zed": no agent "Zed"`, "Nothing on the ticket changed"} {
		if !strings.Contains(e.text, want) {
			t.Errorf("the error mail lacks %q:\n%s", want, e.text)
		}
	}
	if !strings.Contains(e.subject, "["+out.Ref+"]") || !strings.HasPrefix(e.replyTo, "support+a-") {
		t.Errorf("error mail: subject %q, Reply-To %q", e.subject, e.replyTo)
	}
	after := h.ticket(out.TicketID)
	if after.Status != before.Status || after.Priority != before.Priority || after.Assignee != before.Assignee || !after.FirstResponseAt.IsZero() {
		t.Errorf("the ticket changed: %+v -> %+v", before, after)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventCommand, "reply not taken") {
		t.Errorf("events %+v", h.events(out.TicketID))
	}
}

func TestAResolutionWithoutResolveIsAWrongCommand(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"a note after another status", "#status closed done and dusted\n\nBye", `line 1 "#status closed done and dusted": only #status resolved takes a note`},
		{"a resolution block without resolve", "#resolution The fix.\n\nBye", `line 1 "#resolution The fix.": #resolution goes with #status resolved`},
		{"an empty resolution block", "#status resolved\n#resolution\n\nBye", `line 2 "#resolution": no resolution given`},
		{"the resolution twice", "#status resolved The fix.\n#resolution The fix.\n\nBye", `line 2 "#resolution The fix.": the resolution is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := agentHarness(t, "")
			out, notice, _ := assigned(h)
			mark := h.mark()
			answer(h, notice, tc.body)
			h.flush()
			if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
				t.Errorf("the customer got %d mails", len(got))
			}
			if e := h.oneMailTo("ann@example.com", mark); !strings.Contains(e.text, tc.want) {
				t.Errorf("the error mail lacks %q:\n%s", tc.want, e.text)
			}
			if tk := h.ticket(out.TicketID); tk.Status != tickets.StatusNew || tk.Resolution != "" {
				t.Errorf("the ticket changed: status %s, resolution %q", tk.Status, tk.Resolution)
			}
		})
	}
}

func TestNotesStayInternalAndShowInOtherAgentsMail(t *testing.T) {
	onEachDatabase(t, testNotesStayInternalAndShowInOtherAgentsMail)
}

func testNotesStayInternalAndShowInOtherAgentsMail(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, "#note\nHer contract ends in May; be gentle.")
	h.flush()
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Fatalf("a note reached the customer: %+v", got)
	}
	// Ann hands the ticket to Bob: his notice shows the note.
	answer(h, notice, "#assign bob@example.com")
	h.flush()
	bob := h.oneMailTo("bob@example.com", mark)
	if !strings.Contains(bob.text, "Internal notes:") || !strings.Contains(bob.text, "Ann Agent, ") || !strings.Contains(bob.text, "Her contract ends in May; be gentle.") {
		t.Errorf("Bob's notice lacks the note:\n%s", bob.text)
	}
	// The customer writes: Bob's notice has the note, the customer's mail never does.
	mark = h.mark()
	h.deliver("support", "From: Alice <alice@a.test>\r\nTo: support@example.com\r\nSubject: Re: ["+out.Ref+"] Printer on fire\r\nMessage-ID: <again@a.test>\r\n\r\nStill smoking.\r\n")
	h.flush()
	if r := h.oneMailTo("bob@example.com", mark); !strings.Contains(r.text, "Still smoking.") || !strings.Contains(r.text, "be gentle") {
		t.Errorf("Bob's notice of the reply:\n%s", r.text)
	}
	for _, m := range h.mailTo("alice@a.test", 0) {
		if strings.Contains(m.text, "be gentle") {
			t.Errorf("the customer saw the note:\n%s", m.text)
		}
	}
}

// untouched checks that ticket id is as before and that nobody but want
// (addresses) got mail since mark.
func untouched(t *testing.T, h *harness, before *tickets.Ticket, mark int, want ...string) {
	t.Helper()
	after := h.ticket(before.ID)
	if after.Status != before.Status || after.Priority != before.Priority || after.Assignee != before.Assignee ||
		after.Queue != before.Queue || !slices.Equal(after.Tags, before.Tags) || !after.FirstResponseAt.IsZero() {
		t.Errorf("the ticket changed: %+v -> %+v", before, after)
	}
	for _, r := range h.sink.Mails()[mark:] {
		if !slices.ContainsFunc(r.To, func(a string) bool { return slices.Contains(want, a) }) {
			t.Errorf("a mail went to %v", r.To)
		}
	}
}

func TestForgedAgentMailChangesNothingAndReachesNoCustomer(t *testing.T) {
	onEachDatabase(t, testForgedAgentMailChangesNothingAndReachesNoCustomer)
}

func testForgedAgentMailChangesNothingAndReachesNoCustomer(t *testing.T) {
	const commands = "#status closed\n#assign mallory@evil.test\n#priority P1\n\nDear customer, send your password to mallory@evil.test."

	t.Run("an agent's From without the agent's token is a stranger's mail", func(t *testing.T) {
		h := agentHarness(t, "")
		out, _, _ := assigned(h)
		before, mark := h.ticket(out.TicketID), h.mark()
		res := h.deliver("support", crlf("From: Ann Agent <ann@example.com>\nTo: support@example.com\nSubject: Re: ["+out.Ref+"] Printer on fire\nMessage-ID: <forged-1@evil.test>\n\n"+commands+"\n"))
		if !res.Created || res.TicketID == out.TicketID {
			t.Errorf("outcome %+v, want a new ticket (the subject tag of a stranger)", res)
		}
		h.flush()
		// The new ticket's acknowledgement goes to the From, and its notice to an agent; the customer gets nothing.
		untouched(t, h, before, mark, "ann@example.com", "bob@example.com")
		if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
			t.Errorf("the customer got %d mails", len(got))
		}
	})

	t.Run("a stranger through the agent's token", func(t *testing.T) {
		h := agentHarness(t, "")
		out, notice, _ := assigned(h)
		before, mark := h.ticket(out.TicketID), h.mark()
		res := h.deliver("support", gmailReply("Ann Agent <mallory@evil.test>", notice, "forged-2@evil.test", commands))
		if res.TicketID != out.TicketID || res.Created {
			t.Fatalf("outcome %+v", res)
		}
		h.flush()
		untouched(t, h, before, mark, "ann@example.com")
		if m := h.message(out.TicketID, "forged-2@evil.test"); m.Kind != tickets.KindNote || !m.Unverified || m.Author != "" || !strings.Contains(m.Text, "send your password") {
			t.Errorf("the mail is kept as kind %s, unverified %v, author %q", m.Kind, m.Unverified, m.Author)
		}
		if !hasEventLike(h.events(out.TicketID), tickets.EventSecurity, "mallory@evil.test is not an address of agent ann@example.com") {
			t.Errorf("no security event: %+v", h.events(out.TicketID))
		}
		n := h.oneMailTo("ann@example.com", mark)
		if !strings.Contains(n.subject, "Security notice") || !strings.Contains(n.text, "mallory@evil.test") || n.replyTo != "" {
			t.Errorf("Ann's notice: %q, Reply-To %q\n%s", n.subject, n.replyTo, n.text)
		}
		// Ann's answer to it goes to the support address: kept for the agents, sent to nobody.
		mark = h.mark()
		ans := strings.Replace(gmailReply("Ann Agent <ann@example.com>", n, "ann-sec@example.com", "Who was that? #status closed"), "To: Example Support <>", "To: Example Support <support@example.com>", 1)
		if res := h.deliver("support", ans); res.TicketID != out.TicketID || !res.Unverified {
			t.Errorf("Ann's answer to the notice: %+v", res)
		}
		h.flush()
		untouched(t, h, before, mark)
		// Again: Ann is told once an hour, not once a mail.
		mark = h.mark()
		h.deliver("support", gmailReply("Ann Agent <mallory@evil.test>", notice, "forged-3@evil.test", commands))
		h.flush()
		if got := h.mailTo("ann@example.com", mark); len(got) != 0 {
			t.Errorf("Ann was told again within the hour: %d mails", len(got))
		}
		// Another agent through Ann's token is not Ann either.
		answerBob := h.deliver("support", gmailReply("Bob Builder <bob@example.com>", notice, "bob-x@example.com", "#status closed"))
		if h.ticket(answerBob.TicketID).Status == tickets.StatusClosed {
			t.Errorf("Bob closed the ticket through Ann's token")
		}
	})

	t.Run("the agent's address whose domain fails DMARC", func(t *testing.T) {
		h := agentHarness(t, "")
		h.desk.Close()
		cfg := h.desk.Config()
		cfg.Security.TrustedAuthservIDs = []string{"mx.example.com"}
		h.open(cfg)
		out, notice, _ := assigned(h)
		before, mark := h.ticket(out.TicketID), h.mark()
		forged := "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=example.com; dmarc=fail (p=none) header.from=example.com\r\n" +
			gmailReply("Ann Agent <ann@example.com>", notice, "forged-4@evil.test", commands)
		h.deliver("support", forged)
		h.flush()
		untouched(t, h, before, mark, "ann@example.com")
		if !hasEventLike(h.events(out.TicketID), tickets.EventSecurity, "the sender ann@example.com is not verified (dmarc=fail") {
			t.Errorf("no security event: %+v", h.events(out.TicketID))
		}
		// Ann's own mail, passing DMARC, is taken.
		real := "Authentication-Results: mx.example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com\r\n" +
			gmailReply("Ann Agent <ann@example.com>", notice, "ann-real@example.com", "#priority P2")
		h.deliver("support", real)
		if got := h.ticket(out.TicketID).Priority; got != "P2" {
			t.Errorf("Ann's verified mail was not taken: priority %s", got)
		}
	})

	t.Run("the agent's From through the customer's token", func(t *testing.T) {
		h := agentHarness(t, "")
		out, _, ack := assigned(h)
		before, mark := h.ticket(out.TicketID), h.mark()
		res := h.deliver("support", crlf("From: Ann Agent <ann@example.com>\nTo: "+ack.replyTo+"\nSubject: Re: ["+out.Ref+"] Printer on fire\nMessage-ID: <forged-5@evil.test>\n\n"+commands+"\n"))
		h.flush()
		// It is the customer's side: stored as a customer's mail, and no command ran.
		if m := h.message(res.TicketID, "forged-5@evil.test"); m.Kind != tickets.KindCustomer || m.Author != "" {
			t.Errorf("kept as kind %s by %q", m.Kind, m.Author)
		}
		untouched(t, h, before, mark, "ann@example.com") // Ann hears of a "customer" reply
		if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
			t.Errorf("the customer got %d mails", len(got))
		}
	})

	t.Run("the agent's out-of-office through the token", func(t *testing.T) {
		h := agentHarness(t, "")
		out, notice, _ := assigned(h)
		before, mark := h.ticket(out.TicketID), h.mark()
		ooo := "Auto-Submitted: auto-replied\r\n" + gmailReply("Ann Agent <ann@example.com>", notice, "ooo@example.com", "I am away until Monday.")
		h.deliver("support", ooo)
		h.flush()
		untouched(t, h, before, mark)
		if m := h.message(out.TicketID, "ooo@example.com"); m.Kind != tickets.KindAutomatic {
			t.Errorf("kept as kind %s", m.Kind)
		}
	})
}

func TestTooManyCommandsAreAnErrorAndReachNoCustomer(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, _ := assigned(h)
	mark := h.mark()
	answer(h, notice, strings.Repeat("#tag +x\n", 21)+"#tag +secret\n\nHi Alice.")
	h.flush()
	if got := h.mailTo("alice@a.test", mark); len(got) != 0 {
		t.Errorf("the customer got %d mails", len(got))
	}
	if e := h.oneMailTo("ann@example.com", mark); !strings.Contains(e.text, "22 commands: one reply may give at most 20") {
		t.Errorf("error mail:\n%s", e.text)
	}
	if tags := h.ticket(out.TicketID).Tags; len(tags) != 0 {
		t.Errorf("tags %v", tags)
	}
}

// clearsigned is reply with its body signed inline, as Thunderbird and
// mutt sign it (RFC 4880 7): armour, dash-escaped text, signature.
func clearsigned(reply string) string {
	head, body, _ := strings.Cut(reply, "\r\n\r\n")
	lines := strings.Split(body, "\r\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "-") {
			lines[i] = "- " + l
		}
	}
	return head + "\r\n\r\n-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA512\r\n\r\n" + strings.Join(lines, "\r\n") +
		"\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCgAdFiEEexample\r\n=Zm9v\r\n-----END PGP SIGNATURE-----\r\n"
}

func TestAnInlineSignedAnswerRunsItsCommandsAndReachesTheCustomerClean(t *testing.T) {
	h := agentHarness(t, "")
	out, notice, _ := assigned(h)
	mark := h.mark()
	h.deliver("support", clearsigned(gmailReply("Ann Agent <ann@example.com>", notice, "pgp-1@example.com",
		"#priority P1\n\nHi Alice, we are on our way.\n-- \nAnn")))
	h.flush()
	if tk := h.ticket(out.TicketID); tk.Priority != "P1" {
		t.Errorf("priority %s: the signed answer's #priority did not run", tk.Priority)
	}
	got := h.oneMailTo("alice@a.test", mark)
	if !strings.Contains(got.text, "Hi Alice, we are on our way.") || strings.Contains(got.text, "PGP") || strings.Contains(got.text, "#priority") {
		t.Errorf("Alice got:\n%s", got.text)
	}
}
