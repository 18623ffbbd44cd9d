package tickets

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"
	"strings"
)

// An agent token names a ticket and an agent in a way only the desk can
// produce: "a-1042-k3j2h4g5-abcdefghijkl" is ticket 1042, the agent whose
// id is k3j2h4g5 (a keyed hash of the agent's address), and an HMAC of
// both under the desk's secret. It rides in the Reply-To of every mail to
// an agent (support+a-1042-k3j2h4g5-abcdefghijkl@example.com) and in its
// Message-ID. Its HMAC input starts with another prefix than a customer's
// reply token's, and its shape differs, so neither is ever taken for the
// other: a customer holding their own token cannot act as an agent, and
// an agent's token names one agent only.

const agentIDLen = 8 // base32 characters: 40 bits, enough to tell agents apart

// AgentID is the short id of the agent with address email in its tokens.
func (s *Signer) AgentID(email string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-agent-id:"))
	mac.Write([]byte(EmailKey(email)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:agentIDLen]
}

func (s *Signer) agentSig(id int64, email string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("helpdesk-agent-token:"))
	mac.Write([]byte(strconv.FormatInt(id, 10)))
	mac.Write([]byte{0})
	mac.Write([]byte(EmailKey(email)))
	return lowerBase32.EncodeToString(mac.Sum(nil))[:tokenSigLen]
}

// AgentToken returns the token of ticket id for the agent with address email.
func (s *Signer) AgentToken(id int64, email string) string {
	return "a-" + strconv.FormatInt(id, 10) + "-" + s.AgentID(email) + "-" + s.agentSig(id, email)
}

// AgentReplyAddress returns the mailbox address with the agent token of
// ticket id and the agent as a plus-tag.
func (s *Signer) AgentReplyAddress(mailbox string, id int64, email string) string {
	return withPlusTag(mailbox, s.AgentToken(id, email))
}

// AgentMessageID returns a new Message-ID for a mail to an agent about
// ticket id, carrying the agent's token.
func (s *Signer) AgentMessageID(id int64, email, domain string) string {
	return tokenMessageID(s.AgentToken(id, email), domain)
}

// AgentKeys maps the token ids of agents to their addresses. It is made
// once for the configured agents, so that a candidate token costs a map
// lookup and at most one HMAC, however many agents and recipients.
type AgentKeys map[string]string

// AgentKeys returns the keys of the agents with the addresses emails.
func (s *Signer) AgentKeys(emails []string) AgentKeys {
	keys := make(AgentKeys, len(emails))
	for _, e := range emails {
		keys[s.AgentID(e)] = EmailKey(e)
	}
	return keys
}

// AgentTicket finds a valid agent token in text (an address's local part
// or a Message-ID) for one of the agents of keys, and returns its ticket
// ID and that agent's address. A token stands alone: no letter or digit
// before it, no base32 character after it.
func (s *Signer) AgentTicket(text string, keys AgentKeys) (int64, string, bool) {
	return findPartyToken(text, 'a', func(id int64, party, sig string) (string, bool) {
		email, known := keys[party]
		return email, known && hmac.Equal([]byte(sig), []byte(s.agentSig(id, email)))
	})
}

// findPartyToken finds in text a token of a party other than the
// customer, "<kind>-<ticket>-<party id>-<signature>" (an agent's 'a', a
// vendor's 'v'), that check accepts, and returns its ticket and what check
// made of its party. A token stands alone: no letter or digit before it,
// no base32 character after it.
func findPartyToken(text string, kind byte, check func(id int64, party, sig string) (string, bool)) (int64, string, bool) {
	text = strings.ToLower(text)
	for i := 0; i+2 < len(text); i++ {
		if text[i] != kind || text[i+1] != '-' || i > 0 && (isDigit(text[i-1]) || 'a' <= text[i-1] && text[i-1] <= 'z') {
			continue
		}
		j := i + 2
		k := j
		for k < len(text) && isDigit(text[k]) {
			k++
		}
		if k == j || k-j > 19 {
			continue
		}
		idEnd := k + 1 + agentIDLen
		end := idEnd + 1 + tokenSigLen
		if end > len(text) || text[k] != '-' || !isSig(text[k+1:idEnd]) || text[idEnd] != '-' ||
			!isSig(text[idEnd+1:end]) || end < len(text) && isSigChar(text[end]) {
			continue
		}
		id, err := strconv.ParseInt(text[j:k], 10, 64)
		if err != nil {
			continue
		}
		if party, ok := check(id, text[k+1:idEnd], text[idEnd+1:end]); ok {
			return id, party, true
		}
	}
	return 0, "", false
}

// AgentFromAddress finds an agent token in the plus-tag of an address.
func (s *Signer) AgentFromAddress(addr string, keys AgentKeys) (int64, string, bool) {
	tag, ok := plusTag(addr)
	if !ok {
		return 0, "", false
	}
	return s.AgentTicket(tag, keys)
}

// AgentFromMessageID finds an agent token in a Message-ID the desk generated.
func (s *Signer) AgentFromMessageID(msgID string, keys AgentKeys) (int64, string, bool) {
	local, _, ok := strings.Cut(msgID, "@")
	if !ok {
		return 0, "", false
	}
	return s.AgentTicket(local, keys)
}
