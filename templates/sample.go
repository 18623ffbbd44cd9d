package templates

import "time"

// SampleData returns the data Load checks every template with and
// `helpdesk templates preview` renders: a ticket with every field set, an
// assigned agent, the customer's mail (with a file) as the Message, a note
// and a problem.
func SampleData() Data {
	created := time.Date(2025, time.March, 3, 9, 15, 0, 0, time.UTC)
	agent := Person{Name: "Alex Morgan", Email: "alex.morgan@example.com"}
	customer := Person{Name: "Jane Doe", Email: "jane.doe@example.org"}
	return Data{
		Desk: Desk{Name: "Example Support", Address: "support@example.com"},
		Ticket: Ticket{
			ID:        1042,
			Ref:       "HD#1042",
			Subject:   "Cannot log in to my account",
			Status:    "open",
			Priority:  "P3",
			Queue:     "general",
			CreatedAt: created,
			Resolution: "The authenticator app's clock was five minutes slow; " +
				"after syncing it in the app's settings the codes are accepted again.",
			MergedInto: "HD#1040",
			FollowUpOf: "HD#1001",
			Language:   "en",
		},
		Customer: customer,
		Agent:    agent,
		Message: Message{
			From:    customer,
			Subject: "Cannot log in to my account",
			Text: "Hello,\n\n" +
				"since this morning I cannot log in: the two-factor code is refused\n" +
				"although the time on my phone is right.\n\n" +
				"Jane",
			Date:        created.Add(-2 * time.Minute),
			Attachments: []Attachment{{Filename: "screenshot.png", ContentType: "image/png", Size: 48213}},
		},
		Notes:       []Note{{Author: agent, Text: "Her phone's clock was off by five minutes last time too.", Date: created.Add(time.Hour)}},
		ReplyMarker: ReplyMarker,
		Problem:     `line 1 "#status fixed": unknown status "fixed" (use open, pending, resolved or closed)`,

		Links: Links{Ticket: "https://help.example.com/t/1042-samplepagesignaturesamplepag", CSAT: CSATLinks{
			Rate1: "https://help.example.com/csat/1042-1-1743584100-samplesignaturesamplesigna",
			Rate2: "https://help.example.com/csat/1042-2-1743584100-samplesignaturesamplesignb",
			Rate3: "https://help.example.com/csat/1042-3-1743584100-samplesignaturesamplesignc",
			Rate4: "https://help.example.com/csat/1042-4-1743584100-samplesignaturesamplesignd",
			Rate5: "https://help.example.com/csat/1042-5-1743584100-samplesignaturesamplesigne",
		}},
		// Languages (templates lookup by language).
		Language: "en",
		SLA: SLA{
			Target:           "first response",
			State:            "warning",
			Due:              DueIn(created.Add(4*time.Hour), sampleAgentZone, sampleCustomerZone),
			FirstResponseDue: DueIn(created.Add(4*time.Hour), sampleAgentZone, sampleCustomerZone),
			ResolutionDue:    DueIn(created.Add(50*time.Hour), sampleAgentZone, sampleCustomerZone),
		},

		Escalation: Escalation{
			By:        agent,
			Reason:    "The token is refused although the clock is right: please check the account on your side.",
			FromQueue: "first-line",
			Vendor:    Person{Name: "acme", Email: "support@acme.example"},
		},

		Suggestions: []Suggestion{
			{Title: "Two-factor codes are refused", URL: "https://help.example.com/kb/two-factor-codes-are-refused?t=1042-7-1743584100-samplesignaturesamplesignf"},
			{Title: "Reset your password", URL: "https://help.example.com/kb/reset-your-password?t=1042-3-1743584100-samplesignaturesamplesigng"},
		},
	}
}

// The zones of SampleData's due times: the agent's, and the customer's
// UTC offset.
var (
	sampleAgentZone    = time.FixedZone("CET", 3600)
	sampleCustomerZone = time.FixedZone("UTC-05:00", -5*3600)
)
