package tickets_test

import (
	"strings"
	"testing"

	"helpdesk/tickets"
)

func TestVendorTokensNameTheTicketAndTheVendorAndNothingElse(t *testing.T) {
	s := tickets.NewSigner([]byte("secret one, long enough"))
	addr := s.VendorReplyAddress("support@example.com", 1042, "Support@Acme.example")
	if !strings.HasPrefix(addr, "support+v-1042-") || !strings.HasSuffix(addr, "@example.com") {
		t.Errorf("address %q", addr)
	}
	id, vid, ok := s.VendorFromAddress(addr)
	if !ok || id != 1042 || vid != s.VendorID("support@acme.example") {
		t.Errorf("VendorFromAddress(%q) = %d, %q, %v", addr, id, vid, ok)
	}
	if id, _, ok := s.VendorFromMessageID("<" + s.VendorMessageID(7, "support@acme.example", "example.com") + ">"); !ok || id != 7 {
		t.Errorf("VendorFromMessageID = %d, %v", id, ok)
	}
	// A vendor's token is neither a customer's nor an agent's, and
	// neither of theirs is a vendor's: a vendor cannot speak to the
	// customer or act as an agent, a customer cannot write as a vendor.
	keys := s.AgentKeys([]string{"support@acme.example", "ann@example.com"})
	if _, ok := s.TicketFromAddress(addr); ok {
		t.Error("a vendor's token was taken for a customer's")
	}
	if _, _, ok := s.AgentFromAddress(addr, keys); ok {
		t.Error("a vendor's token was taken for an agent's, even with the vendor's address among the agents")
	}
	if _, _, ok := s.VendorFromAddress(s.ReplyAddress("support@example.com", 1042)); ok {
		t.Error("a customer's token was taken for a vendor's")
	}
	if _, _, ok := s.VendorFromAddress(s.AgentReplyAddress("support@example.com", 1042, "support@acme.example")); ok {
		t.Error("an agent's token was taken for a vendor's")
	}
	// Another ticket number, another vendor's id or another secret: nothing.
	parts := strings.Split(s.VendorToken(1042, "support@acme.example"), "-")
	if _, _, ok := s.VendorTicket(strings.Join([]string{"v", "1043", parts[2], parts[3]}, "-")); ok {
		t.Error("another ticket number with the vendor's signature was accepted")
	}
	other := strings.Split(s.VendorToken(1042, "help@other.example"), "-")
	if _, _, ok := s.VendorTicket(strings.Join([]string{"v", "1042", other[2], parts[3]}, "-")); ok {
		t.Error("another vendor's id with this vendor's signature was accepted")
	}
	if _, _, ok := tickets.NewSigner([]byte("secret two, long enough")).VendorFromAddress(addr); ok {
		t.Error("a token signed with another secret was accepted")
	}
}

// FuzzVendorToken checks that no text makes the vendor-token reader
// panic, that a token it made is found after any text, and that what it
// accepts is never a customer's token.
func FuzzVendorToken(f *testing.F) {
	s := tickets.NewSigner([]byte("fuzz secret, long enough to sign"))
	f.Add("v-1042-abcdefgh-abcdefghijkl", int64(1042))
	f.Add(s.VendorToken(7, "support@acme.example"), int64(7))
	f.Add("xv-1-", int64(1))
	f.Fuzz(func(t *testing.T, text string, id int64) {
		got, _, found := s.VendorTicket(text)
		if found {
			if _, customer := s.TicketID(text); customer && !strings.Contains(text, s.Token(got)) {
				t.Fatalf("%q is a vendor's and a customer's token", text)
			}
		}
		if id <= 0 || found {
			return // the first valid token wins
		}
		tok := s.VendorToken(id, "support@acme.example")
		if got, _, ok := s.VendorTicket(text + " " + tok); !ok || got != id {
			t.Fatalf("token %q after %q: %d, %v", tok, text, got, ok)
		}
	})
}
