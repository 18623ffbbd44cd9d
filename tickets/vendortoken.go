package tickets

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"
	"strings"
)

// A vendor token names a ticket and the outside vendor it was escalated
// to, in a way only the desk can produce: "v-1042-k3j2h4g5-abcdefghijkl"
// is ticket 1042, the vendor whose id is k3j2h4g5 (a keyed hash of the
// vendor's address) and an HMAC of both under the desk's secret. It
// rides in the Reply-To of the mail to the vendor
// (support+v-1042-k3j2h4g5-abcdefghijkl@example.com) and in its
// Message-ID, so that the vendor's answer threads onto the ticket as an
// internal note. Its HMAC inputs start with their own prefixes and its
// shape starts with "v-", so it is never taken for a customer's reply
// token or an agent's token, nor they for it: a vendor's answer can
// neither speak to the customer nor act as an agent.

// VendorID is the short id of the vendor with address email in its tokens.
func (s *Signer) VendorID(email string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-vendor-id:"))
	mac.Write([]byte(EmailKey(email)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:agentIDLen]
}

func (s *Signer) vendorSig(id int64, vendorID string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-vendor-token:"))
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	mac.Write([]byte{0})
	mac.Write([]byte(vendorID))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:tokenSigLen]
}

// VendorToken returns the token of ticket id for the vendor with address email.
func (s *Signer) VendorToken(id int64, email string) string {
	vid := s.VendorID(email)
	return "v-" + strconv.FormatInt(id, 10) + "-" + vid + "-" + s.vendorSig(id, vid)
}

// VendorReplyAddress returns the mailbox address with the vendor token of
// ticket id and the vendor as a plus-tag.
func (s *Signer) VendorReplyAddress(mailbox string, id int64, email string) string {
	return withPlusTag(mailbox, s.VendorToken(id, email))
}

// VendorMessageID returns a new Message-ID for a mail to a vendor about
// ticket id, carrying the vendor's token.
func (s *Signer) VendorMessageID(id int64, email, domain string) string {
	return tokenMessageID(s.VendorToken(id, email), domain)
}

// VendorTicket finds a valid vendor token in text (an address's local
// part or a Message-ID) and returns its ticket ID and the vendor's id
// (see VendorID). A token stands alone: no letter or digit before it, no
// base32 character after it.
func (s *Signer) VendorTicket(text string) (int64, string, bool) {
	return findPartyToken(text, 'v', func(id int64, vid, sig string) (string, bool) {
		return vid, hmac.Equal([]byte(sig), []byte(s.vendorSig(id, vid)))
	})
}

// VendorFromAddress finds a vendor token in the plus-tag of an address.
func (s *Signer) VendorFromAddress(addr string) (int64, string, bool) {
	tag, ok := plusTag(addr)
	if !ok {
		return 0, "", false
	}
	return s.VendorTicket(tag)
}

// VendorFromMessageID finds a vendor token in a Message-ID the desk generated.
func (s *Signer) VendorFromMessageID(msgID string) (int64, string, bool) {
	local, _, ok := strings.Cut(strings.Trim(strings.TrimSpace(msgID), "<>"), "@")
	if !ok {
		return 0, "", false
	}
	return s.VendorTicket(local)
}
