package desk_test

import (
	"strings"
	"testing"
	"time"

	"helpdesk/tickets"
)

// customerReply is Alice's reply to the last mail she got on ticket ref,
// as Gmail writes it: her text over the quoted mail.
func customerReply(h *harness, ref, id, body string) string {
	h.t.Helper()
	got := h.mailTo("alice@a.test", 0)
	last := got[len(got)-1]
	return crlf("From: Alice Martin <alice@a.test>\nTo: " + last.replyTo + "\nSubject: Re: " + last.subject +
		"\nMessage-ID: <" + id + ">\nIn-Reply-To: <" + last.messageID + ">\nReferences: <" + last.messageID + ">\n" +
		"Content-Type: text/plain; charset=utf-8\n\n" + body + "\n\nOn Mon, 2 Mar 2026 at 10:00, Example Support <support@example.com> wrote:\n> " +
		strings.ReplaceAll(strings.TrimSpace(last.text), "\n", "\n> ") + "\n")
}

func TestResolvedTicketsStayResolvedOnThanksAndReopenOnAnythingElse(t *testing.T) {
	onEachDatabase(t, testResolvedTicketsStayResolvedOnThanksAndReopenOnAnythingElse)
}

func testResolvedTicketsStayResolvedOnThanksAndReopenOnAnythingElse(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		reopens     bool
	}{
		{"thanks works now", "Thanks, works now!", false},
		{"german thanks", "Danke, funktioniert wieder!\n\nViele Grüße\nAlice", false},
		{"still broken", "Thanks, but it is still broken.", true},
		{"french not fixed", "Merci, mais ça ne marche toujours pas.", true},
		{"a question", "Works now?", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := agentHarness(t, "")
			out, notice, _ := assigned(h)
			answer(h, notice, "#status resolved Cleaned the fan.\n\nHi Alice, the fire is out.")
			h.flush()
			mark := h.mark()
			h.now = h.now.Add(time.Hour)
			res := h.deliver("support", customerReply(h, out.Ref, "r1@a.test", tc.reply))
			h.flush()
			tk := h.ticket(out.TicketID)
			toAlice := h.mailTo("alice@a.test", mark)
			toAnn := h.mailTo("ann@example.com", mark)
			if res.TicketID != out.TicketID || len(toAnn) != 1 {
				t.Fatalf("the reply went to %s; Ann got %d mails, want it on %s and Ann told", res.Ref, len(toAnn), out.Ref)
			}
			if !tc.reopens {
				if tk.Status != tickets.StatusResolved || len(toAlice) != 0 || res.Reopened {
					t.Errorf("status %s, Alice got %d mails, reopened %v; want it resolved and no mail", tk.Status, len(toAlice), res.Reopened)
				}
				if !hasEventLike(h.events(tk.ID), tickets.EventConfirmed, "the reply only thanks") {
					t.Errorf("events %+v", h.events(tk.ID))
				}
				return
			}
			if tk.Status != tickets.StatusOpen || !res.Reopened || len(toAlice) != 1 || !strings.Contains(toAlice[0].subject, "Reopened") {
				t.Errorf("status %s, reopened %v, Alice got %+v; want it open with the reopen notice", tk.Status, res.Reopened, toAlice)
			}
		})
	}
}

func TestAReplyAfterTheReopenWindowOpensALinkedTicketAndSaysSo(t *testing.T) {
	onEachDatabase(t, testAReplyAfterTheReopenWindowOpensALinkedTicketAndSaysSo)
}

func testAReplyAfterTheReopenWindowOpensALinkedTicketAndSaysSo(t *testing.T) {
	h := agentHarness(t, "\n[lifecycle]\nreopen_window = \"2d\"\n")
	out, notice, _ := assigned(h)
	answer(h, notice, "#status closed")
	h.flush()
	h.now = h.now.Add(47 * time.Hour)
	in := h.deliver("support", customerReply(h, out.Ref, "r1@a.test", "It is on fire again."))
	h.flush()
	if in.TicketID != out.TicketID || h.ticket(out.TicketID).Status != tickets.StatusOpen {
		t.Fatalf("within the window: the reply went to %s, status %s", in.Ref, h.ticket(out.TicketID).Status)
	}
	answer(h, notice, "#status closed")
	h.flush()
	h.now = h.now.Add(49 * time.Hour)
	mark := h.mark()
	late := h.deliver("support", customerReply(h, out.Ref, "r2@a.test", "It is on fire again, again."))
	h.flush()
	if late.TicketID == out.TicketID || !late.Created {
		t.Fatalf("after the window: %+v, want a new ticket", late)
	}
	if tk := h.ticket(late.TicketID); tk.FollowUpOf != out.TicketID {
		t.Errorf("the new ticket follows up %d, want %d", tk.FollowUpOf, out.TicketID)
	}
	ack := h.oneMailTo("alice@a.test", mark)
	if !strings.Contains(ack.subject, "["+late.Ref+"] New ticket for your reply to "+out.Ref) || !strings.Contains(ack.text, "It answers ticket "+out.Ref+", which") {
		t.Errorf("acknowledgement %q:\n%s", ack.subject, ack.text)
	}
	if !hasEventLike(h.events(out.TicketID), tickets.EventLinked, "follow-up is "+late.Ref) {
		t.Errorf("the old ticket does not name its follow-up: %+v", h.events(out.TicketID))
	}
}
