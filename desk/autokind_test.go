package desk

import (
	"testing"

	"helpdesk/mailin"
)

func TestEveryKindOfAutomaticMailKeepsItsKindOnTheTicket(t *testing.T) {
	for _, k := range []mailin.AutoKind{mailin.KindPerson, mailin.KindOwn, mailin.KindBounce,
		mailin.KindFeedbackReport, mailin.KindAutoReply, mailin.KindList, mailin.KindBulk} {
		if got := autoKind(k); string(got) != string(k) {
			t.Errorf("mail reader's kind %q becomes %q on the ticket", k, got)
		}
	}
}
