package desk_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// TestBrokenReplyToAndDoublyEncodedSubjectAreAnsweredSafely follows a
// hostile mail through ingest to the acknowledgement: a Reply-To that is
// two headers run together must not become the requester, and a subject
// encoded twice around a line break must not add a recipient.
func TestBrokenReplyToAndDoublyEncodedSubjectAreAnsweredSafely(t *testing.T) {
	h := newHarness(t)
	inner := "=?utf-8?q?Invoice_question=0D=0ABcc:_evil@y.test?="
	raw := "From: Kim Customer <kim@customer.test>\r\n" +
		"Reply-To: victim@x.testbcc:evil@y.test\r\n" +
		"To: Support <support@example.com>\r\n" +
		"Subject: =?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(inner)) + "?=\r\n" +
		"Message-ID: <hostile-1@customer.test>\r\n" +
		"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\n" +
		"\r\nWhat does line 3 of the invoice mean?\r\n"
	out := h.deliver("support", raw)
	if !out.Created {
		t.Fatalf("outcome %+v", out)
	}
	tk, err := h.desk.Store.Ticket(h.ctx, out.TicketID)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Requester.Email != "kim@customer.test" {
		t.Errorf("requester = %q, want the From address", tk.Requester.Email)
	}
	if tk.Subject != "Invoice question Bcc: evil@y.test" {
		t.Errorf("ticket subject = %q", tk.Subject)
	}
	h.flush()
	sent := h.sent()
	if len(sent) != 1 {
		t.Fatalf("%d mails sent, want the acknowledgement only", len(sent))
	}
	ack := sent[0]
	if !slices.Equal(ack.rcpt, []string{"kim@customer.test"}) {
		t.Errorf("acknowledgement went to %q, want kim@customer.test only", ack.rcpt)
	}
	if ack.header.Get("Bcc") != "" || strings.Contains(ack.subject, "=?") || strings.ContainsAny(ack.subject, "\r\n") {
		t.Errorf("acknowledgement subject %q, Bcc %q", ack.subject, ack.header.Get("Bcc"))
	}
}
