package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// LoopPolicy bounds the automatic mail the desk sends, so that it never
// keeps a conversation going with a robot that answers everything, and
// cannot be made to mail a stranger again and again.
type LoopPolicy struct {
	// RateLimit is the most automatic mails (acknowledgements, notices; not
	// agents' replies) one address gets per RateWindow, the address
	// normalised (NormalizeAddress), so that victim+1@ and victim+2@ count
	// as victim@. Default 5; -1 = off.
	RateLimit int
	// DomainRateLimit is the most automatic mails per RateWindow to
	// addresses that are not verified (see Inbound.Sender) in one
	// organizational domain. Default 30; -1 = off.
	DomainRateLimit int
	// SourceRateLimit is the most automatic mails per RateWindow that
	// answer mail from one source (Inbound.Source; an IPv6 source counts
	// by its /64) and go to addresses that are not verified. Default 30;
	// -1 = off.
	SourceRateLimit int
	RateWindow      time.Duration // default 1h
	// BounceHold is how long an address whose mail bounced gets no
	// automatic mail. Default 24h.
	BounceHold time.Duration
}

func (p LoopPolicy) withDefaults() LoopPolicy {
	if p.RateLimit == 0 {
		p.RateLimit = 5
	}
	if p.DomainRateLimit == 0 {
		p.DomainRateLimit = 30
	}
	if p.SourceRateLimit == 0 {
		p.SourceRateLimit = 30
	}
	if p.RateWindow <= 0 {
		p.RateWindow = time.Hour
	}
	if p.BounceHold <= 0 {
		p.BounceHold = 24 * time.Hour
	}
	return p
}

// Event kinds of the loop governor.
const (
	EventBounce      = "bounce"
	EventRateLimited = "rate_limited"
)

// autoRecipient is an address an automatic mail is about to go to.
type autoRecipient struct {
	Email string
	// Verified: the address passed the sender checks (Inbound.Sender).
	// Only mail to unverified addresses counts against the per-domain and
	// per-source limits: a verified customer writes for themselves.
	Verified bool
	// Source is the source of the mail being answered (Inbound.Source).
	Source string
}

// mayAutoSend says why no automatic mail may go to rcpt now ("" if it
// may), and records a rate limit hitting as an event.
func (s *Service) mayAutoSend(ctx context.Context, tx Tx, t *Ticket, rcpt autoRecipient, now time.Time) (string, error) {
	addr := rcpt.Email
	if why := UnanswerableAddress(addr); why != "" {
		return why, nil
	}
	if s.isOwnAddress(addr) {
		return "the address is the desk's own", nil
	}
	p := s.loops
	// One statement reads the bounce hold and the counts of the limits
	// that apply; the checks below keep their order.
	q := AutoMailQuery{Since: now.Add(-p.RateWindow)}
	key := NormalizeAddress(addr)
	if p.RateLimit >= 0 {
		q.Key = key
	}
	domain := OrganizationalDomain(domainOf(addr))
	source := SourceKey(rcpt.Source)
	if !rcpt.Verified {
		if p.DomainRateLimit >= 0 {
			q.Domain = domain
		}
		if p.SourceRateLimit >= 0 {
			q.Source = source
		}
	}
	st, err := tx.AutoMailState(ctx, addr, q)
	if err != nil {
		return "", fmt.Errorf("checking the automatic mail to %s: %w", addr, err)
	}
	if st.BouncingUntil.After(now) {
		return fmt.Sprintf("mail to %s bounced (%s); no automatic mail until %s", addr, st.BounceReason, st.BouncingUntil.Format(time.RFC3339)), nil
	}
	limited := func(why string) (string, error) {
		return why, s.event(ctx, tx, t.ID, EventRateLimited, "system", why, now)
	}
	if p.RateLimit >= 0 {
		if n := st.ToKey; n >= p.RateLimit {
			who := addr
			if key != EmailKey(addr) {
				who = fmt.Sprintf("%s (as %s)", addr, key)
			}
			return limited(fmt.Sprintf("rate limit: %s got %d automatic mails in the last %s", who, n, p.RateWindow))
		}
	}
	if rcpt.Verified {
		return "", nil
	}
	if n := st.ToDomain; p.DomainRateLimit >= 0 && domain != "" && n >= p.DomainRateLimit {
		return limited(fmt.Sprintf("rate limit: unverified addresses at %s got %d automatic mails in the last %s", domain, n, p.RateWindow))
	}
	if n := st.FromSource; p.SourceRateLimit >= 0 && source != "" && n >= p.SourceRateLimit {
		return limited(fmt.Sprintf("rate limit: unverified mail from %s got %d automatic answers in the last %s", source, n, p.RateWindow))
	}
	return "", nil
}

// gmailDomains ignore dots in the local part: j.doe@ and jdoe@ are one mailbox.
var gmailDomains = map[string]bool{"gmail.com": true, "googlemail.com": true}

// NormalizeAddress returns the mailbox an address delivers to, as far as
// can be known from outside, for counting mail per person: lowercased,
// without a plus-tag (RFC 5233 subaddress: victim+1@ is victim@), and for
// Gmail, whose mailboxes ignore dots, without dots and at gmail.com.
func NormalizeAddress(addr string) string {
	addr = EmailKey(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	addr = StripPlusTag(strings.Trim(addr[:at], `"`) + "@" + strings.TrimSuffix(addr[at+1:], "."))
	at = strings.LastIndexByte(addr, '@')
	local, domain := addr[:at], addr[at+1:]
	if gmailDomains[domain] {
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
}

// OrganizationalDomain returns the domain's organizational domain (RFC 7489
// 3.2) from the public suffix list: "mail.example.co.uk" -> "example.co.uk".
// A domain the list cannot place is returned lowercased as it is.
func OrganizationalDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return addr[at+1:]
	}
	return ""
}

// SourceKey is what the per-source rate limit counts a source IP address
// as: an IPv4 address itself, an IPv6 address by its /64, the block one
// subscriber gets. "" when source is not an IP address.
func SourceKey(source string) string {
	ip, err := netip.ParseAddr(strings.TrimSpace(source))
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	prefix, err := ip.Prefix(64)
	if err != nil {
		return ""
	}
	return prefix.String()
}

// bounce handles a delivery failure report: it goes on the ticket whose
// mail bounced (found by that mail's Message-ID in the report), and a failed
// address gets no automatic mail for a while, but only when the report
// names a mail the desk itself sent to that very address: anyone can forge
// a report naming any Message-ID and any recipient.
func (s *Service) bounce(ctx context.Context, tx Tx, in *Inbound, t *Ticket, how string, now time.Time) (*Ticket, string, error) {
	own, err := s.bouncedOwnMail(ctx, tx, in.BounceOf)
	if err != nil {
		return nil, "", err
	}
	if t == nil && len(own) > 0 {
		if t, err = s.live(ctx, tx, own[0].TicketID); err != nil {
			return nil, "", err
		}
		how = "bounce"
	}
	if t == nil && len(in.BounceOf) > 0 {
		found, err := tx.TicketByMessageIDs(ctx, boundRefs(in.BounceOf))
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, "", fmt.Errorf("finding the bounced mail: %w", err)
		}
		if found != nil {
			if t, err = s.follow(ctx, tx, found); err != nil {
				return nil, "", err
			}
			how = "bounce"
		}
	}
	if in.AutoKind != AutoBounce || len(own) == 0 {
		return t, how, nil
	}
	failed := in.FailedRecipients
	if len(failed) == 0 {
		failed = []string{soleRecipient(own)}
	}
	until := now.Add(s.loops.BounceHold)
	for _, addr := range failed {
		addr = EmailKey(addr)
		if addr == "" || s.isOwnAddress(addr) {
			continue
		}
		m := sentTo(own, addr)
		if m == nil {
			continue
		}
		if err := tx.MarkBouncing(ctx, addr, until, in.Subject, now); err != nil {
			return nil, "", fmt.Errorf("marking %s as bouncing: %w", addr, err)
		}
		if err := s.event(ctx, tx, m.TicketID, EventBounce, "system",
			fmt.Sprintf("mail to %s bounced; no automatic mail to it until %s", addr, until.Format(time.RFC3339)), now); err != nil {
			return nil, "", err
		}
	}
	return t, how, nil
}
