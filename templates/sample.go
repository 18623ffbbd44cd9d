package templates

import "time"

// SampleData returns the data Load checks every template with and
// `helpdesk templates preview` renders: a ticket with every field set, an
// assigned agent, and the agent's reply as the Message.
func SampleData() Data {
	created := time.Date(2025, time.March, 3, 9, 15, 0, 0, time.UTC)
	agent := Person{Name: "Alex Morgan", Email: "alex.morgan@example.com"}
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
		},
		Customer: Person{Name: "Jane Doe", Email: "jane.doe@example.org"},
		Agent:    agent,
		Message: Message{
			From:    agent,
			Subject: "Re: [HD#1042] Cannot log in to my account",
			Text: "Hi Jane,\n\n" +
				"Thanks for the details. I have reset the two-factor setup on your\n" +
				"account: you can now log in with your password and set it up again.\n\n" +
				"Let me know if that works for you.",
			Date: created.Add(2*time.Hour + 27*time.Minute),
		},
		SurveyURL: "https://help.example.com/csat/3q2-7f9c1a",
	}
}
