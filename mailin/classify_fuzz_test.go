package mailin

import (
	"slices"
	"strings"
	"testing"
)

// FuzzClassify checks the classifier on any mail that parses: it does not
// panic, says the same twice, names a known kind with a reason (a person
// has none), and reports failed recipients only for bounces, lowercased.
func FuzzClassify(f *testing.F) {
	for _, raw := range mailSeeds(f, []string{"sisimai/*.eml", "replies/*.eml", "mimekit/messages/*"}, 150) {
		f.Add(raw)
	}
	f.Add([]byte("From: MAILER-DAEMON@x.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; A@B.example\r\nAction: failed\r\n--b--\r\n"))
	f.Add([]byte("From: a@b.example\r\nAuto-Submitted: auto-replied\r\nList-Id: <l.example>\r\nPrecedence: bulk\r\n\r\nx"))
	opts := ClassifyOptions{OwnAddresses: []string{"support@example.com"}}
	kinds := []AutoKind{KindPerson, KindOwn, KindBounce, KindFeedbackReport, KindAutoReply, KindList, KindBulk}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw, ParseOptions{MaxSize: 1 << 20})
		if err != nil {
			return
		}
		got := Classify(m, opts)
		if again := Classify(m, opts); again.Kind != got.Kind || again.Reason != got.Reason {
			t.Fatalf("Classify says %q (%s), then %q (%s)", got.Kind, got.Reason, again.Kind, again.Reason)
		}
		if !slices.Contains(kinds, got.Kind) {
			t.Fatalf("unknown kind %q", got.Kind)
		}
		if (got.Kind == KindPerson) != (got.Reason == "") {
			t.Fatalf("kind %q with reason %q", got.Kind, got.Reason)
		}
		if got.Kind != KindBounce && len(got.FailedRecipients) > 0 {
			t.Fatalf("a %q mail with failed recipients %q", got.Kind, got.FailedRecipients)
		}
		for _, a := range got.FailedRecipients {
			if a != strings.ToLower(a) || a == "" {
				t.Fatalf("failed recipient %q is not a lowercased address", a)
			}
		}
	})
}
