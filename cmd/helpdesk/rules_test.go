package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// rules test runs what ingest runs: where ingest sends no acknowledgement
// (a noreply sender, an address over the rate limit, an address whose mail
// bounced), rules test says so, with ingest's reason.
func TestRulesTestSaysWhatIngestDoes(t *testing.T) {
	c := newCLI(t)
	ingest := func(mail string) outcomeView {
		t.Helper()
		code, out, errs := c.run(mail, "ingest", "--mailbox", "support", "--json")
		var o outcomeView
		if err := json.Unmarshal([]byte(out), &o); code != 0 || err != nil {
			t.Fatalf("ingest: exit %d, %v, out %q, err %q", code, err, out, errs)
		}
		return o
	}
	detail := func(ref string) ticketDetail {
		t.Helper()
		code, out, errs := c.run("", "tickets", "show", ref, "--json")
		var d ticketDetail
		if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil {
			t.Fatalf("tickets show %s: exit %d, %v, err %q", ref, code, err, errs)
		}
		return d
	}
	acknowledged := func(d ticketDetail) bool {
		for _, e := range d.Events {
			if e.Kind == "acknowledgement" {
				return true
			}
		}
		return false
	}

	// carol reaches the rate limit (5 automatic mails an hour by default).
	for i := range 5 {
		o := ingest(mailFrom("carol@c.test", fmt.Sprintf("c%d@c.test", i), fmt.Sprintf("Printer %d", i)))
		if d := detail(o.Ticket); !o.Created || !acknowledged(d) {
			t.Fatalf("mail %d of carol: %+v, events %+v", i+1, o, d.Events)
		}
	}
	// dave's acknowledgement bounces.
	dave := detail(ingest(mailFrom("dave@d.test", "d1@d.test", "VPN")).Ticket)
	ackID := ""
	for _, m := range dave.Messages {
		if m.Direction == "out" {
			ackID = m.MessageID
		}
	}
	if ackID == "" {
		t.Fatalf("dave got no acknowledgement: %+v", dave.Messages)
	}
	dsn := "From: Mail Delivery System <MAILER-DAEMON@mx.d.test>\r\nTo: support@example.com\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.d.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.d.test\r\n\r\n" +
		"Final-Recipient: rfc822; dave@d.test\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + ackID + ">\r\nTo: dave@d.test\r\n" +
		"--b--\r\n"
	ingest(dsn)

	for _, tc := range []struct {
		name, mail, why string
	}{
		{"a new sender gets an acknowledgement", mailFrom("erin@e.test", "e1@e.test", "Laptop"), ""},
		{"a noreply sender gets no acknowledgement", mailFrom("noreply@shop.test", "n1@shop.test", "Your order"), "noreply@ is never sent"},
		{"a sender over the rate limit gets no acknowledgement", mailFrom("carol@c.test", "c9@c.test", "Scanner"), "rate limit"},
		{"a sender whose mail bounced gets no acknowledgement", mailFrom("dave@d.test", "d2@d.test", "Mail"), "bounced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := c.run(tc.mail, "rules", "test", "--json")
			var v struct {
				Acknowledge bool
				Queued      []struct{ Kind string }
			}
			if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
				t.Fatalf("rules test --json: exit %d, %v, out %q, err %q", code, err, out, errs)
			}
			code, text, errs := c.run(tc.mail, "rules", "test")
			if code != 0 {
				t.Fatalf("rules test: exit %d, err %q", code, errs)
			}
			o := ingest(tc.mail)
			if !o.Created {
				t.Fatalf("ingest did not open a ticket: %+v", o)
			}
			d := detail(o.Ticket)
			got, sent := acknowledged(d), 0
			for _, m := range d.Messages {
				if m.Direction == "out" {
					sent++
				}
			}
			if v.Acknowledge != got || got != (tc.why == "") || len(v.Queued) != sent {
				t.Errorf("rules test says acknowledge=%v and queues %v; ingest acknowledged=%v and queued %d mails", v.Acknowledge, v.Queued, got, sent)
			}
			if tc.why != "" && !strings.Contains(text, "acknowledgement  none: ") || !strings.Contains(text, tc.why) {
				t.Errorf("rules test does not say why there is no acknowledgement (%q):\n%s", tc.why, text)
			}
		})
	}
}
