package mailout_test

import (
	"context"
	"errors"
	"fmt"

	"helpdesk/internal/smtpsink"
	"helpdesk/mailout"
)

func ExampleSender_Send() {
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		panic(err)
	}
	defer sink.Close()

	s := mailout.NewSender(mailout.Options{Host: sink.Host(), Port: sink.Port(), TLS: mailout.TLSNone})
	defer s.Close()

	m := &mailout.Mail{
		From:      mailout.Address{Name: "Support", Email: "support@example.com"},
		To:        []mailout.Address{{Name: "Zoë", Email: "zoe@customer.example"}},
		Subject:   "Re: Printer broken [HD#1042]",
		MessageID: "hd1042.1.x7@example.com",
		InReplyTo: "CAF=xyz@mail.customer.example",
		Headers:   map[string]string{"Auto-Submitted": "auto-replied"},
		Text:      "We are on it.\n",
	}
	if err := s.Send(context.Background(), m); err != nil {
		var e *mailout.Error
		if errors.As(err, &e) && e.Temporary {
			fmt.Println("retry later:", e.Code)
		}
		return
	}
	r := sink.Mails()[0]
	fmt.Println(r.From, "->", r.To)
	// Output: support@example.com -> [zoe@customer.example]
}
