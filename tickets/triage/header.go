package triage

import "strings"

// HeaderUrgency returns the urgency the sender wrote in the mail's headers:
// "high", "low", or "" when the headers say nothing or "normal". h is keyed
// by canonical MIME header keys. The first header that gives high or low wins,
// in the order and with the meanings of [MS-OXCMAIL] 2.2.3.2.5:
//
//   - Importance: high | low (RFC 2156, registered by RFC 4021);
//   - X-Priority: 1 or 2 is high, 4 or 5 is low, as in "1 (Highest)";
//   - X-MSMail-Priority: High | Low;
//   - Priority: urgent is high, non-urgent is low (RFC 2156, RFC 4021).
func HeaderUrgency(h map[string][]string) string {
	u, _ := headerUrgency(h)
	return u
}

// headerUrgency is HeaderUrgency that also returns the header that decided,
// as "Importance: high".
func headerUrgency(h map[string][]string) (urgency, source string) {
	for _, name := range []string{"Importance", "X-Priority", "X-Msmail-Priority", "Priority"} {
		for _, raw := range h[name] {
			v := strings.ToLower(strings.TrimSpace(raw))
			u := ""
			switch name {
			case "Importance", "X-Msmail-Priority":
				u = levelWord(v)
			case "X-Priority":
				if v != "" {
					switch v[0] {
					case '1', '2':
						u = High
					case '4', '5':
						u = Low
					}
				}
			case "Priority":
				switch v {
				case "urgent":
					u = High
				case "non-urgent":
					u = Low
				}
			}
			if u != "" {
				return u, name + ": " + strings.TrimSpace(raw)
			}
		}
	}
	return "", ""
}

// levelWord maps "high" and "low" to themselves and anything else to "".
func levelWord(v string) string {
	switch v {
	case "high":
		return High
	case "low":
		return Low
	}
	return ""
}
