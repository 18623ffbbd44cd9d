package mailin_test

import (
	"errors"
	"fmt"

	"helpdesk/mailin"
)

func ExampleParse() {
	raw := []byte("From: Anna <anna@Example.COM>\r\n" +
		"To: support+t0k3n@helpdesk.example\r\n" +
		"Subject: =?utf-8?q?Drucker_kaputt_=E2=80=93_bitte_helfen?=\r\n" +
		"Message-ID: <abc@example.com>\r\n" +
		"\r\n" +
		"Hallo, der Drucker druckt nicht.\r\n")
	m, err := mailin.Parse(raw, mailin.ParseOptions{})
	if err != nil {
		var pe *mailin.ParseError
		if errors.As(err, &pe) {
			fmt.Println("quarantine:", pe.Reason)
		}
		return
	}
	fmt.Println(m.From.Email)
	fmt.Println(m.Subject)
	fmt.Println(m.MessageID, m.Recipients)
	fmt.Printf("%q automatic=%v\n", m.Text, m.IsAutomatic())
	// Output:
	// anna@example.com
	// Drucker kaputt – bitte helfen
	// abc@example.com [support+t0k3n@helpdesk.example]
	// "Hallo, der Drucker druckt nicht.\n" automatic=false
}

func ExampleClassify() {
	raw := []byte("From: support@helpdesk.example\n" +
		"Message-ID: <hd-1042-3@helpdesk.example>\n" +
		"Auto-Submitted: auto-replied\n" +
		"X-Helpdesk-Loop: 1\n" +
		"Subject: [HD#1042] We got your mail\n\nThanks.\n")
	m, _ := mailin.Parse(raw, mailin.ParseOptions{})
	fmt.Println(m.Auto.Kind, "/", m.Auto.Reason)
	c := mailin.Classify(m, mailin.ClassifyOptions{OwnLoopHeader: "X-Helpdesk-Loop", OwnDomains: []string{"helpdesk.example"}})
	fmt.Println(c.Kind, "/", c.Reason)
	// Output:
	// auto-reply / Auto-Submitted: auto-replied
	// own / X-Helpdesk-Loop header present
}

func ExampleParseError() {
	_, err := mailin.Parse(make([]byte, 30<<20), mailin.ParseOptions{})
	fmt.Println(err, errors.Is(err, mailin.ErrTooLarge))
	// Output:
	// mail is 30 MiB, over the 25 MiB limit true
}

func ExampleNewText() {
	raw := []byte("From: Ann Agent <ann@example.com>\r\n" +
		"To: Help Desk <support+1042-k3j2h4g5abcd@helpdesk.example>\r\n" +
		"Subject: RE: [HD#1042] Export stops halfway\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"Hi Carla,\r\n\r\nthe fix is in version 2.4.1.\r\n\r\nAnn\r\n\r\n" +
		"________________________________\r\n" +
		"Von: Help Desk <support+1042-k3j2h4g5abcd@helpdesk.example>\r\n" +
		"Gesendet: Montag, 6. Januar 2025 10:02\r\n" +
		"An: Ann Agent <ann@example.com>\r\n" +
		"Betreff: [HD#1042] Export stops halfway\r\n\r\n" +
		"-- Reply above this line --\r\n\r\nCarla Customer wrote: The export stops at row 65536.\r\n")
	m, err := mailin.Parse(raw, mailin.ParseOptions{})
	if err != nil {
		return
	}
	fmt.Println(mailin.NewText(m, mailin.StripOptions{Markers: []string{"-- Reply above this line --"}}))
	// Output:
	// Hi Carla,
	//
	// the fix is in version 2.4.1.
	//
	// Ann
}

func ExampleStripQuoted() {
	reply := "On Mon, Jan 6, 2025 at 9:58 AM Carla <carla@customer.example> wrote:\n" +
		"> Which version fixes the export?\n\n" +
		"2.4.1, released today.\n\n" +
		"> Is the Notes column kept?\n\n" +
		"Yes.\n\n" +
		"-- \nAnn Agent\n"
	fmt.Println(mailin.StripQuoted(reply, mailin.StripOptions{StripSignatures: true}))
	// Output:
	// 2.4.1, released today.
	//
	// Yes.
}
