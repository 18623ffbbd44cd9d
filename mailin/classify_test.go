package mailin

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const plainHeader = "From: Kim <kim@example.org>\nTo: support@helpdesk.example\nMessage-ID: <m1@example.org>\n"

func TestClassify(t *testing.T) {
	dsn := "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: support@helpdesk.example\nSubject: Undelivered Mail Returned to Sender\n" +
		"Message-ID: <dsn1@mx.example.net>\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n" +
		"--r\nContent-Type: text/plain\n\nYour message could not be delivered.\n" +
		"--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n" +
		"Final-Recipient: rfc822; Gone@Example.net\nOriginal-Recipient: rfc822;gone@example.net\nAction: failed\nStatus: 5.1.1\n\n" +
		"Final-Recipient: rfc822; slow@example.net\nAction: delayed\nStatus: 4.4.1\n" +
		"--r\nContent-Type: text/rfc822-headers\n\nFrom: support@helpdesk.example\nTo: gone@example.net\nMessage-ID: <hd-7-1@helpdesk.example>\nSubject: Your ticket\n" +
		"--r--\n"
	delayed := strings.NewReplacer("Final-Recipient: rfc822; Gone@Example.net\nOriginal-Recipient: rfc822;gone@example.net\nAction: failed\nStatus: 5.1.1\n\n", "",
		"Subject: Undelivered Mail Returned to Sender", "Subject: Delayed Mail (still being retried)",
		"Your message could not be delivered.", "Your message could not be delivered yet to <slow@example.net>; we keep trying.").Replace(dsn)
	delivered := strings.NewReplacer("Action: failed\nStatus: 5.1.1", "Action: delivered\nStatus: 2.0.0", "Action: delayed\nStatus: 4.4.1", "Action: relayed\nStatus: 2.0.0").Replace(dsn)
	noAction := strings.NewReplacer("Action: failed\n", "", "Action: delayed\n", "").Replace(dsn)
	googleGroup := plainHeader + "List-Id: <support.helpdesk.example>\nList-Post: <https://groups.google.com/a/helpdesk.example/group/support/post>, <mailto:support@helpdesk.example>\n" +
		"List-Unsubscribe: <mailto:googlegroups-manage+1+unsubscribe@googlegroups.com>\nPrecedence: list\nMailing-list: list support@helpdesk.example; contact support+owners@helpdesk.example\nSubject: Printer\n\nHelp please.\n"
	ownAddrs := ClassifyOptions{OwnAddresses: []string{"Support@HelpDesk.example"}}
	tests := []struct {
		name     string
		raw      string
		opts     ClassifyOptions
		kind     AutoKind
		reason   string
		origIDs  []string
		failedTo []string
	}{
		{"a person's mail is not automatic", plainHeader + "Subject: Printer\n\nHelp please.\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"Auto-Submitted: no is a person", plainHeader + "Auto-Submitted: no\nSubject: x\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"RFC 3834 Auto-Submitted auto-replied is an auto-reply", plainHeader + "Auto-Submitted: auto-replied\nSubject: Re: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "Auto-Submitted: auto-replied", nil, nil},
		{"Auto-Submitted auto-generated with a comment is an auto-reply", plainHeader + "Auto-Submitted: auto-generated (notice)\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "Auto-Submitted: auto-generated", nil, nil},
		{"X-Autoreply marks an auto-reply", plainHeader + "X-Autoreply: yes\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-Autoreply header present", nil, nil},
		{"X-Autorespond marks an auto-reply", plainHeader + "X-Autorespond: x\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-Autorespond header present", nil, nil},
		{"X-POST-MessageClass Autoresponder marks an auto-reply", plainHeader + "X-POST-MessageClass: 9; Autoresponder\nSubject: Re: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-POST-MessageClass: 9; Autoresponder", nil, nil},
		{"Delivered-To Autoresponder marks an auto-reply", plainHeader + "Delivered-To: Autoresponder\nSubject: Re: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "Delivered-To: Autoresponder", nil, nil},
		{"Delivered-To an address is a person", plainHeader + "Delivered-To: support@helpdesk.example\nSubject: x\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"X-FC-MachineGenerated marks an auto-reply", plainHeader + "X-FC-MachineGenerated: true\nSubject: Re: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-FC-MachineGenerated: true", nil, nil},
		{"Precedence auto_reply marks an auto-reply", plainHeader + "Precedence: auto_reply\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "Precedence: auto_reply", nil, nil},
		{"X-Auto-Response-Suppress on incoming mail marks an auto-reply", plainHeader + "X-Auto-Response-Suppress: All\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-Auto-Response-Suppress: All", nil, nil},
		{"an Exchange generated-message header marks an auto-reply", plainHeader + "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-Ms-Exchange-Generated-Message-Source header present", nil, nil},
		{"an Out of Office subject is an auto-reply", plainHeader + "Subject: Out of Office: back Monday\n\nx\n", ClassifyOptions{}, KindAutoReply, "out-of-office subject \"Out of Office: back Monday\"", nil, nil},
		{"a Hungarian Automatikus válasz is an auto-reply", plainHeader + "Subject: =?utf-8?q?Automatikus_v=C3=A1lasz:_Nyomtat=C3=B3?=\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a Greek automatic reply is an auto-reply", plainHeader + "Subject: =?utf-8?b?zpHPhc+Ez4zOvM6xz4TOtyDOsc+AzqzOvc+EzrfPg863OiBQcmludGVy?=\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a subject that only starts like one is a person", plainHeader + "Subject: Automatikus válaszok beállítása nem működik\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a German Abwesenheitsnotiz is an auto-reply", plainHeader + "Subject: Abwesenheitsnotiz: Drucker\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a French Réponse automatique encoded-word subject is an auto-reply", plainHeader + "Subject: =?utf-8?q?R=C3=A9ponse_automatique=C2=A0:_x?=\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"an Automatic reply subject is an auto-reply", plainHeader + "Subject: Automatic reply: Your ticket\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a Lotus Notes AUTO: subject is an auto-reply", plainHeader + "Subject: AUTO: Kim is out of the office\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a customer's AUTO: subject about a car is a person", plainHeader + "Subject: Auto: claim for my car\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a customer asking about their out-of-office setup is a person", plainHeader + "Subject: Out of office message not working\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a customer asking about an autoreply is a person", plainHeader + "Subject: Autoreply settings in Outlook\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a bare Out of Office subject is an auto-reply", plainHeader + "Subject: Out of Office\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"a Gmail Delivery Status Notification (Failure) subject is a bounce", plainHeader + "Subject: Delivery Status Notification (Failure)\n\nx\n", ClassifyOptions{}, KindBounce, "", nil, nil},
		{"a reply whose subject mentions an absence is a person", plainHeader + "Subject: Re: Out of Office: back Monday\n\nThanks\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"List-Id marks list mail", plainHeader + "List-Id: Users <users.lists.example.org>\nSubject: x\n\nx\n", ClassifyOptions{}, KindList, "List-Id: Users <users.lists.example.org>", nil, nil},
		{"List-Unsubscribe marks list mail", plainHeader + "List-Unsubscribe: <mailto:leave@example.org>\nSubject: x\n\nx\n", ClassifyOptions{}, KindList, "List-Unsubscribe header present", nil, nil},
		{"Precedence list marks list mail", plainHeader + "Precedence: list\nSubject: x\n\nx\n", ClassifyOptions{}, KindList, "Precedence: list", nil, nil},
		{"Precedence bulk marks bulk mail", plainHeader + "Precedence: bulk\nSubject: x\n\nx\n", ClassifyOptions{}, KindBulk, "Precedence: bulk", nil, nil},
		{"Precedence junk marks bulk mail", plainHeader + "Precedence: Junk\nSubject: x\n\nx\n", ClassifyOptions{}, KindBulk, "Precedence: junk", nil, nil},
		{"an RFC 3464 report is a bounce with its original Message-ID and failed recipients", dsn, ClassifyOptions{}, KindBounce, "RFC 3464 delivery-status report", []string{"hd-7-1@helpdesk.example"}, []string{"gone@example.net"}},
		{"X-Failed-Recipients marks an Exim bounce", "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: support@helpdesk.example\nSubject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: a@example.net, B@Example.net\n\n" +
			"This message was created automatically by mail delivery software.\n\n  a@example.net\n    Unrouteable address\n\n------ This is a copy of the message, including all the headers. ------\n\nMessage-Id: <hd-9-1@helpdesk.example>\nFrom: support@helpdesk.example\n\nhello\n",
			ClassifyOptions{}, KindBounce, "X-Failed-Recipients header", []string{"hd-9-1@helpdesk.example"}, []string{"a@example.net", "b@example.net"}},
		{"a qmail failure notice names the failed address in its text", "From: MAILER-DAEMON@mx.example.net\nTo: support@helpdesk.example\nSubject: failure notice\n\nHi. This is the qmail-send program at mx.example.net.\nI'm afraid I wasn't able to deliver your message to the following addresses.\n\n<nobody@example.net>:\nSorry, no mailbox here by that name.\n\n--- Below this line is a copy of the message.\n\nReturn-Path: <support@helpdesk.example>\nMessage-ID: <hd-3-1@helpdesk.example>\n\nx\n",
			ClassifyOptions{}, KindBounce, "bounce subject \"failure notice\"", []string{"hd-3-1@helpdesk.example"}, []string{"nobody@example.net"}},
		{"MAILER-DAEMON with a delivery-failure subject is a bounce", "From: MAILER-DAEMON@mx.example.net\nTo: support@helpdesk.example\nSubject: Your message was rejected\n\nx\n", ClassifyOptions{}, KindBounce, "mail-system sender with delivery-failure subject \"Your message was rejected\"", nil, nil},
		{"a MAILER-DAEMON delay warning without a report part is a notice", "From: MAILER-DAEMON@mx.example.net\nTo: support@helpdesk.example\nSubject: Warning: message delayed, still trying\n\n  kim@example.net\n    Delay reason: connection timed out\n", ClassifyOptions{}, KindAutoReply, "delivery delay warning \"Warning: message delayed, still trying\"", nil, nil},
		{"a Gmail delay warning without a report part is a notice", "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nReturn-Path: <>\nTo: support@helpdesk.example\nSubject: Delivery Status Notification (Delay)\n\nTHIS IS A WARNING MESSAGE ONLY.\n\nDelivery to the following recipient has been delayed:\n\n     kim@example.net\n", ClassifyOptions{}, KindAutoReply, "delivery delay warning \"Delivery Status Notification (Delay)\"", nil, nil},
		{"a customer's mail about a delayed order is a person", plainHeader + "Subject: Delivery delayed: order 4411\n\nStill waiting.\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"Return-Path <> with delivery-failure text is a bounce", "From: Mail System <system@mx.example.net>\nReturn-Path: <>\nTo: support@helpdesk.example\nSubject: Notice\n\nYour message could not be delivered to gone@example.net.\n", ClassifyOptions{}, KindBounce, "Return-Path <> with delivery-failure text (\"could not be delivered\")", nil, nil},
		{"an Exchange Undeliverable subject is a bounce whose original comes from In-Reply-To", "From: postmaster@outlook.example\nTo: support@helpdesk.example\nSubject: Undeliverable: Your ticket\nIn-Reply-To: <hd-5-1@helpdesk.example>\n\nDelivery has failed.\n", ClassifyOptions{}, KindBounce, "mail-system sender with bounce subject \"Undeliverable: Your ticket\"", []string{"hd-5-1@helpdesk.example"}, nil},
		{"a customer's Delivery failure subject is a person", plainHeader + "Subject: Delivery failure - my parcel never arrived\n\nThe parcel could not be delivered, the driver said.\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a postmaster answering in a thread is no bounce but is not answered", "From: Pat <postmaster@example.net>\nTo: support@helpdesk.example\nSubject: Re: your mail was rejected\n\nThe user unknown error was a typo on our side, fixed now.\n", ClassifyOptions{}, KindAutoReply, "mail-system sender postmaster@example.net", nil, nil},
		{"an Exchange Online sender with a generic failure subject is a bounce", "From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example>\nTo: support@helpdesk.example\nSubject: Delivery has failed to these recipients or groups\n\nx\n", ClassifyOptions{}, KindBounce, "mail-system sender with bounce subject \"Delivery has failed to these recipients or groups\"", nil, nil},
		{"an ARF report is a feedback report", "From: abuse@isp.example\nTo: support@helpdesk.example\nSubject: FW: spam\nContent-Type: multipart/report; report-type=feedback-report; boundary=f\n\n--f\nContent-Type: text/plain\n\nThis is an abuse report.\n--f\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n--f\nContent-Type: message/rfc822\n\nFrom: support@helpdesk.example\nMessage-ID: <hd-8-1@helpdesk.example>\n\nx\n--f--\n",
			ClassifyOptions{}, KindFeedbackReport, "RFC 5965 feedback report", []string{"hd-8-1@helpdesk.example"}, nil},
		{"an RFC 8098 read receipt is an auto-reply", "From: kim@example.org\nTo: support@helpdesk.example\nSubject: Read: x\nContent-Type: multipart/report; report-type=disposition-notification; boundary=d\n\n--d\nContent-Type: text/plain\n\nDisplayed.\n--d\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--d--\n",
			ClassifyOptions{}, KindAutoReply, "RFC 8098 disposition notification", nil, nil},
		{"the own loop header marks own mail", plainHeader + "X-Helpdesk-Loop: 1\nSubject: x\n\nx\n", ClassifyOptions{OwnLoopHeader: "X-Helpdesk-Loop"}, KindOwn, "X-Helpdesk-Loop header present", nil, nil},
		{"a Message-ID in an own domain marks own mail", "From: support@helpdesk.example\nMessage-ID: <hd-1-1@HelpDesk.Example>\nSubject: x\n\nx\n", ClassifyOptions{OwnDomains: []string{"helpdesk.example"}}, KindOwn, "Message-ID domain helpdesk.example is ours", nil, nil},
		{"a customer's Delivery failure: subject is a person", plainHeader + "Subject: Delivery failure: parcel 4411 never arrived\n\nWhere is it?\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a customer's Returned mail: subject is a person", plainHeader + "Subject: Returned mail: the parcel came back to us\n\nWhy?\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a customer's Undeliverable: subject is a person", plainHeader + "Subject: Undeliverable: your driver could not find us\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a customer's German Unzustellbar: subject is a person", plainHeader + "Subject: Unzustellbar: Paket 4411\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a Domino DELIVERY FAILURE from a mail system is a bounce", "From: Postmaster <postmaster@domino.example>\nTo: support@helpdesk.example\nSubject: DELIVERY FAILURE: User Kim (kim@domino.example) not listed in Domino Directory\n\nx\n", ClassifyOptions{}, KindBounce, "mail-system sender with bounce subject \"DELIVERY FAILURE: User Kim (kim@domino.example) not listed in Domino Directory\"", nil, nil},
		{"a Sendmail Returned mail: from the null sender is a bounce", "From: Mail Delivery Subsystem <>\nTo: support@helpdesk.example\nSubject: Returned mail: see transcript for details\n\nx\n", ClassifyOptions{}, KindBounce, "", nil, nil},
		{"a display name of Postmaster does not make a mail system", "From: John Postmaster <john@example.org>\nTo: support@helpdesk.example\nSubject: Our payment failed\n\nThe card payment failed twice.\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a display name of Mail Delivery does not make a mail system", "From: Mail Delivery Team <team@example.org>\nTo: support@helpdesk.example\nSubject: Delivery failed for order 17\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a mailer@ address is not a mail system", "From: mailer@shop.example\nTo: support@helpdesk.example\nSubject: Payment failed\n\nThe payment failed.\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a bounces+ address with a generic failure subject is a bounce", "From: bounces+1234@lists.example\nTo: support@helpdesk.example\nSubject: Undeliverable: x\n\nx\n", ClassifyOptions{}, KindBounce, "mail-system sender with bounce subject \"Undeliverable: x\"", nil, nil},
		{"a Google Group that is the own address does not make list mail", googleGroup, ownAddrs, KindPerson, "", nil, nil},
		{"a Google Group's List-Id is list mail without own addresses", googleGroup, ClassifyOptions{}, KindList, "List-Id: <support.helpdesk.example>", nil, nil},
		{"a List-Post naming the own address does not make list mail", plainHeader + "List-Post: <mailto:support@helpdesk.example>\nList-Unsubscribe: <mailto:leave@helpdesk.example>\nSubject: x\n\nx\n", ownAddrs, KindPerson, "", nil, nil},
		{"another list's List-Id is list mail even with own addresses", plainHeader + "List-Id: Users <users.lists.example.org>\nSubject: x\n\nx\n", ownAddrs, KindList, "List-Id: Users <users.lists.example.org>", nil, nil},
		{"a mail through another list and the own list is list mail", strings.Replace(googleGroup, "List-Id:", "List-Id: <users.lists.example.org>\nList-Id:", 1), ownAddrs, KindList, "List-Id: <users.lists.example.org>", nil, nil},
		{"X-Auto-Response-Suppress of OOF and AutoReply marks an auto-reply", plainHeader + "X-Auto-Response-Suppress: DR, OOF, autoreply\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "X-Auto-Response-Suppress: DR, OOF, autoreply", nil, nil},
		{"X-Auto-Response-Suppress of DR, RN, NRN alone is a person (an Outlook meeting response)", plainHeader + "X-Auto-Response-Suppress: DR, RN, NRN\nSubject: Accepted: Weekly call\n\nx\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"a DSN whose recipients were all delayed is a notice without failed recipients", delayed, ClassifyOptions{}, KindAutoReply, "delivery status notification (delayed)", nil, []string{}},
		{"a DSN whose recipients were delivered or relayed is a notice", delivered, ClassifyOptions{}, KindAutoReply, "delivery status notification (delivered, relayed)", nil, []string{}},
		{"a DSN without Action takes it from the Status class", noAction, ClassifyOptions{}, KindBounce, "RFC 3464 delivery-status report", []string{"hd-7-1@helpdesk.example"}, []string{"gone@example.net"}},
		{"a person's mail with Return-Path <> is an auto-reply", plainHeader + "Return-Path: <>\nSubject: Question\n\nHello\n", ClassifyOptions{}, KindAutoReply, "null return path", nil, nil},
		{"a person's mail with a Return-Path address is a person", plainHeader + "Return-Path: <kim@example.org>\nSubject: Question\n\nHello\n", ClassifyOptions{}, KindPerson, "", nil, nil},
		{"own mail wins over a bounce", dsn + "", ClassifyOptions{OwnDomains: []string{"mx.example.net"}}, KindOwn, "", nil, nil},
		{"a bounce wins over list and bulk markers", strings.Replace(dsn, "Subject:", "List-Id: <l.example>\nPrecedence: bulk\nAuto-Submitted: auto-replied\nSubject:", 1), ClassifyOptions{}, KindBounce, "", nil, nil},
		{"an auto-reply wins over list and bulk markers", plainHeader + "List-Id: <l.example>\nPrecedence: bulk\nAuto-Submitted: auto-replied\nSubject: x\n\nx\n", ClassifyOptions{}, KindAutoReply, "", nil, nil},
		{"list wins over bulk", plainHeader + "List-Id: <l.example>\nPrecedence: bulk\nSubject: x\n\nx\n", ClassifyOptions{}, KindList, "", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, []byte(tc.raw))
			c := Classify(m, tc.opts)
			if c.Kind != tc.kind {
				t.Fatalf("Kind = %q (%s), want %q", c.Kind, c.Reason, tc.kind)
			}
			if tc.reason != "" && c.Reason != tc.reason {
				t.Errorf("Reason = %q, want %q", c.Reason, tc.reason)
			}
			if tc.origIDs != nil && !slices.Equal(c.OriginalMessageIDs, tc.origIDs) {
				t.Errorf("OriginalMessageIDs = %q, want %q", c.OriginalMessageIDs, tc.origIDs)
			}
			if tc.failedTo != nil && !slices.Equal(c.FailedRecipients, tc.failedTo) {
				t.Errorf("FailedRecipients = %q, want %q", c.FailedRecipients, tc.failedTo)
			}
			if m.IsAutomatic() != (Classify(m, ClassifyOptions{}).Kind != KindPerson) {
				t.Error("IsAutomatic disagrees with Classify without options")
			}
		})
	}
}

func TestParseFillsAutoWithZeroOptions(t *testing.T) {
	m := mustParse(t, []byte(plainHeader+"X-Helpdesk-Loop: 1\nAuto-Submitted: auto-replied\nSubject: x\n\nx\n"))
	if m.Auto.Kind != KindAutoReply || !m.IsAutomatic() {
		t.Errorf("Auto = %+v", m.Auto)
	}
	if c := Classify(m, ClassifyOptions{OwnLoopHeader: "X-Helpdesk-Loop"}); c.Kind != KindOwn {
		t.Errorf("Classify with the loop header = %+v", c)
	}
}

func TestSisimaiCorpusIsClassified(t *testing.T) {
	dir := corpusDir(t, "sisimai")
	files := corpusFiles(t, dir)
	auto, bounces, withID, withRcpt, kinds := 0, 0, 0, 0, map[AutoKind]int{}
	var notBounce int
	for _, f := range files {
		name := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(raw, ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.HasPrefix(name, "is-not-bounce-") {
			notBounce++
			if m.IsAutomatic() {
				t.Errorf("%s: ordinary mail classified %q (%s)", name, m.Auto.Kind, m.Auto.Reason)
			}
			continue
		}
		kinds[m.Auto.Kind]++
		if !m.IsAutomatic() {
			t.Errorf("%s: not classified automatic (subject %q, from %+v)", name, m.Subject, m.From)
			continue
		}
		auto++
		if m.Auto.Kind == KindBounce {
			bounces++
			if len(m.Auto.OriginalMessageIDs) > 0 {
				withID++
			}
			if len(m.Auto.FailedRecipients) > 0 {
				withRcpt++
			}
		}
	}
	t.Logf("sisimai: %d/%d automatic, %d bounces, %d with original Message-ID, %d with failed recipients; kinds %v; %d is-not-bounce files left alone",
		auto, len(files)-notBounce, bounces, withID, withRcpt, kinds, notBounce)
}

func TestRepliesCorpusIsNotAutomatic(t *testing.T) {
	files := corpusFiles(t, corpusDir(t, "replies"))
	people := 0
	for _, f := range files {
		m, err := Parse(mustRead(t, f), ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if m.IsAutomatic() {
			t.Errorf("%s: person-written reply classified %q (%s)", filepath.Base(f), m.Auto.Kind, m.Auto.Reason)
			continue
		}
		people++
	}
	t.Logf("replies: %d/%d classified as written by a person", people, len(files))
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// robotMail is a mail from the given sender with the given extra header
// lines and subject, and a body that says nothing of a failure.
func robotMail(from, headers, subject string) string {
	return "From: " + from + "\nTo: support@helpdesk.example\nMessage-ID: <n1@lists.example.org>\n" + headers + "Subject: " + subject + "\n\nYour message has been received.\n"
}

// TestRobotSendersAndListNotices covers the senders that answer every
// mail: mail systems in every spelling, SMS and pager gateways, and the
// notices of mailing-list software. Beside each kind stand the people
// whose mail looks like it and must still be answered.
func TestRobotSendersAndListNotices(t *testing.T) {
	const ack = "Re: [HD#1042] We received your request"
	ownList := ClassifyOptions{OwnAddresses: []string{"support@helpdesk.example"}}
	mailmanOwnList := "X-BeenThere: support@helpdesk.example\nX-Mailman-Version: 2.1.39\nPrecedence: list\nList-Id: Support <support.helpdesk.example>\nList-Post: <mailto:support@helpdesk.example>\n"
	tests := []struct {
		name   string
		raw    string
		opts   ClassifyOptions
		kind   AutoKind
		reason string
	}{
		// Mail systems: postmaster and MAILER-DAEMON however they are written.
		{"post_master with an underscore is a mail system", robotMail("post_master@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, "mail-system sender post_master@gw.example.net"},
		{"post-master with a hyphen is a mail system", robotMail("post-master@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"Post.Master with a dot and capitals is a mail system", robotMail("Post.Master@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"POSTMASTER in capitals is a mail system", robotMail("POSTMASTER@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"postmaster with a numbered suffix is a mail system", robotMail("postmaster-123@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"postmaster with a word suffix is a mail system", robotMail("postmaster-noreply@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"postmaster with a digit is a mail system", robotMail("postmaster2@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"postmaster with a subaddress is a mail system", robotMail("postmaster+sms@gw.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"a product's own postmaster is a mail system", robotMail("opendmarc-postmaster@mx.example.net", "", "Report"), ClassifyOptions{}, KindAutoReply, ""},
		{"mailer_daemon with an underscore is a mail system", robotMail("mailer_daemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"Mailer.Daemon with a dot is a mail system", robotMail("Mailer.Daemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"MAILER-DAEMON without a failure is a mail system", robotMail("MAILER-DAEMON@mx.example.net", "", "Notice"), ClassifyOptions{}, KindAutoReply, ""},
		{"mailerdaemon in one word is a mail system", robotMail("mailerdaemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"mail-daemon is a mail system", robotMail("mail-daemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"mail_daemon is a mail system", robotMail("mail_daemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"a prefixed mailer-daemon is a mail system", robotMail("mx1-mailer-daemon@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"mail.delivery.system is a mail system", robotMail("Mail.Delivery.System@mx.example.net", "", ack), ClassifyOptions{}, KindAutoReply, ""},
		{"a null From is a mail system", robotMail("Mail Delivery System <>", "", ack), ClassifyOptions{}, KindAutoReply, "mail-system sender (null From)"},
		{"a DMARC reporter's postmaster sending a failure report is a feedback report, not a bounce", "From: opendmarc-postmaster@mx.example.net\nTo: support@helpdesk.example\nSubject: DMARC failure report\nContent-Type: multipart/report; report-type=feedback-report; boundary=f\n\n--f\nContent-Type: text/plain\n\nDMARC evaluation failed for a message.\n--f\nContent-Type: message/feedback-report\n\nFeedback-Type: auth-failure\nVersion: 1\n--f--\n", ClassifyOptions{}, KindFeedbackReport, ""},
		{"a mail system with a failure subject is still a bounce", robotMail("post_master@mx.example.net", "", "Undeliverable: x"), ClassifyOptions{}, KindBounce, ""},
		// SMS and pager gateways answer every mail, from their postmaster.
		{"an SMS gateway's Re: to our acknowledgement is not answered", "From: SMS Gateway <postmaster@sms.carrier.example>\nTo: support@helpdesk.example\nSubject: " + ack + "\nIn-Reply-To: <hd-1042-1@helpdesk.example>\n\nYour message was forwarded as SMS to +49 170 0000000.\n", ClassifyOptions{}, KindAutoReply, "mail-system sender postmaster@sms.carrier.example"},
		{"a pager gateway's Re: from post_master is not answered", "From: Paging <post_master@pager.example>\nTo: support@helpdesk.example\nSubject: RE: " + ack + "\n\nMessage accepted for pager 4711 (160 characters sent).\n", ClassifyOptions{}, KindAutoReply, ""},
		{"a gateway's Re: with a failure word is not a bounce", "From: postmaster@sms.carrier.example\nTo: support@helpdesk.example\nSubject: " + ack + "\n\nSMS could not be delivered to 4711, retrying.\n", ClassifyOptions{}, KindAutoReply, ""},
		// People whose addresses look like mail systems.
		{"a person with a postmaster subaddress is a person", robotMail("Kim <kim+postmaster@example.org>", "", "Printer"), ClassifyOptions{}, KindPerson, ""},
		{"a person named Postmaster is a person", robotMail("John Postmaster <john.postmaster@example.org>", "", "Printer"), ClassifyOptions{}, KindPerson, ""},
		{"a postmasters team address is a person", robotMail("postmasters@example.org", "", "Our DNS"), ClassifyOptions{}, KindPerson, ""},
		{"a mail.admin address is a person", robotMail("mail.admin@example.org", "", "Our DNS"), ClassifyOptions{}, KindPerson, ""},

		// Mailing-list software's own notices.
		{"an fml loop alert from LIST-admin is a list notice", robotMail("neko-admin@example.org", "X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]\nX-ML-Name: neko-nyaan\n", "Loop Alert: dup'ed message-id"), ClassifyOptions{}, KindList, "list-software sender neko-admin@example.org with notice subject \"Loop Alert: dup'ed message-id\""},
		{"an fml loop alert without list headers is a list notice", robotMail("neko-admin@example.org", "", "Loop Alert: dup'ed message-id"), ClassifyOptions{}, KindList, ""},
		{"an fml not-member notice is a list notice", robotMail("neko-admin@example.org", "X-MLServer: fml [fml 4.0.3]\n", "You kim@example.net are not member (neko-nyaan ML)"), ClassifyOptions{}, KindList, ""},
		{"fml's X-ML-Name marks list mail", robotMail("kim@example.net", "X-ML-Name: neko-nyaan\n", "[neko-nyaan:00012] hello"), ClassifyOptions{}, KindList, "X-Ml-Name header present"},
		{"Mailman's X-List-Administrivia marks a notice", robotMail("users-owner@lists.example.org", "X-List-Administrivia: yes\n", "Your message to Users awaits moderator approval"), ClassifyOptions{}, KindList, "X-List-Administrivia: yes"},
		{"Mailman's notice about the desk's own list is a list notice", robotMail("support-owner@helpdesk.example", mailmanOwnList+"X-List-Administrivia: yes\n", "Your message to Support awaits moderator approval"), ownList, KindList, "X-List-Administrivia: yes"},
		{"a Mailman confirmation from LIST-request is a list notice", robotMail("users-request@lists.example.org", "", "confirm 4d5e2a1f0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e"), ClassifyOptions{}, KindList, ""},
		{"a Mailman notice from LIST-bounces is a list notice", robotMail("users-bounces@lists.example.org", "", "Uncaught bounce notification"), ClassifyOptions{}, KindList, "list-software sender users-bounces@lists.example.org"},
		{"a Mailman VERP bounces address is a list notice", robotMail("users-bounces+kim=example.net@lists.example.org", "", ack), ClassifyOptions{}, KindList, ""},
		{"Mailman's X-Mailman-Version marks list mail", robotMail("users-owner@lists.example.org", "X-Mailman-Version: 2.1.39\n", "Users mailing list memberships reminder"), ClassifyOptions{}, KindList, ""},
		{"a mail from mailman itself is a list notice", robotMail("mailman@lists.example.org", "", "Mailing list removal confirmation notice"), ClassifyOptions{}, KindList, ""},
		{"Majordomo's command results are a list notice", robotMail("Majordomo@lists.example.org", "", "Majordomo results: subscribe users"), ClassifyOptions{}, KindList, "list-software sender Majordomo@lists.example.org"},
		{"Majordomo's owner-LIST notice is a list notice", robotMail("owner-users@lists.example.org", "", "BOUNCE users@lists.example.org: Non-member submission from [support@helpdesk.example]"), ClassifyOptions{}, KindList, ""},
		{"Sympa's command results are a list notice", robotMail("sympa@lists.example.org", "", "Results of your commands"), ClassifyOptions{}, KindList, ""},
		{"a Sympa LIST-request mail with X-Loop is a list notice", robotMail("users-request@lists.example.org", "X-Loop: sympa@lists.example.org\n", "Message distribution: Authorization denied"), ClassifyOptions{}, KindList, ""},
		{"a Sympa LIST-owner mail with X-Loop and a plain subject is a list notice", robotMail("users-owner@lists.example.org", "X-Loop: users@lists.example.org\n", ack), ClassifyOptions{}, KindList, "list-software sender users-owner@lists.example.org with X-Loop"},
		{"Sympa's X-Sympa headers mark list mail", robotMail("kim@example.net", "X-Sympa-To: users@lists.example.org\n", ack), ClassifyOptions{}, KindList, "X-Sympa-To header present"},
		{"ezmlm's responder Delivered-To marks list mail", robotMail("users-help@lists.example.org", "Delivered-To: responder for users@lists.example.org\n", "ezmlm response"), ClassifyOptions{}, KindList, ""},
		{"an ezmlm confirmation from LIST-help is a list notice", robotMail("users-help@lists.example.org", "", "confirm subscribe to users@lists.example.org"), ClassifyOptions{}, KindList, ""},
		{"ezmlm's Mailing-List header marks list mail", robotMail("users-help@lists.example.org", "Mailing-List: contact users-help@lists.example.org; run by ezmlm\n", "WELCOME to users@lists.example.org"), ClassifyOptions{}, KindList, ""},
		{"a LISTSERV job output is a list notice", robotMail("LISTSERV@lists.example.org", "", "Output of your job \"kim\""), ClassifyOptions{}, KindList, ""},
		{"a Google Groups owners address with a notice subject is a list notice", robotMail("users+owners@googlegroups.com", "", "Your message to users awaits moderator approval"), ClassifyOptions{}, KindList, ""},
		// People whose addresses or subjects look like list software.
		{"admin@ of a customer writing a request is a person", robotMail("admin@bigcorp.example", "", "Our VPN is down"), ClassifyOptions{}, KindPerson, ""},
		{"an it-admin@ of a customer writing a request is a person", robotMail("it-admin@bigcorp.example", "", "Our VPN is down since this morning"), ClassifyOptions{}, KindPerson, ""},
		{"an it-admin@ whose subject mentions a loop alert is a person", robotMail("it-admin@bigcorp.example", "", "Our loop alert fires every night"), ClassifyOptions{}, KindPerson, ""},
		{"a product-owner@ is a person", robotMail("product-owner@bigcorp.example", "", "Feature question"), ClassifyOptions{}, KindPerson, ""},
		{"a purchase-request@ mailbox is a person", robotMail("purchase-request@bigcorp.example", "", "PO 1234 for the renewal"), ClassifyOptions{}, KindPerson, ""},
		{"a person named Owen Owner is a person", robotMail("Owen Owner <owen.owner@example.org>", "", "Invoice question"), ClassifyOptions{}, KindPerson, ""},
		{"a person whose name begins like a list program's is a person", robotMail("mailman.jones@example.org", "", "Results of your commands"), ClassifyOptions{}, KindPerson, ""},
		{"owner@ of a shop is a person", robotMail("owner@shop.example", "", "Invoice question"), ClassifyOptions{}, KindPerson, ""},
		{"request@ is a person", robotMail("request@bigcorp.example", "", "New laptop"), ClassifyOptions{}, KindPerson, ""},
		{"a person's Loop alert: subject is a person", robotMail("kim@example.org", "", "Loop alert: pump 3 keeps restarting"), ClassifyOptions{}, KindPerson, ""},
		{"a person's subject about a loop is a person", robotMail("kim@example.org", "", "Our mail loops back to us"), ClassifyOptions{}, KindPerson, ""},
		{"a person asking to confirm a subscription is a person", robotMail("kim@example.org", "", "Please confirm subscribe to the newsletter"), ClassifyOptions{}, KindPerson, ""},
		{"a person's mail with X-Loop from a forwarding rule is a person", robotMail("kim@example.org", "X-Loop: kim@example.org\n", "Printer"), ClassifyOptions{}, KindPerson, ""},
		{"an it-admin@ writing through the desk's own Mailman list is a person", robotMail("it-admin@bigcorp.example", mailmanOwnList+"X-Loop: support@helpdesk.example\n", "Our VPN is down"), ownList, KindPerson, ""},
		{"a mail through the desk's own Mailman list without List-Id is a person", robotMail("kim@example.org", "X-BeenThere: support@helpdesk.example\nX-Mailman-Version: 2.1.39\n", "Printer"), ownList, KindPerson, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, []byte(tc.raw))
			c := Classify(m, tc.opts)
			if c.Kind != tc.kind {
				t.Fatalf("Kind = %q (%s), want %q", c.Kind, c.Reason, tc.kind)
			}
			if tc.reason != "" && c.Reason != tc.reason {
				t.Errorf("Reason = %q, want %q", c.Reason, tc.reason)
			}
		})
	}
}

// TestRobotFixturesAreClassified reads testdata/robots: every robot-*.eml
// is automatic and every person-*.eml is a person's.
func TestRobotFixturesAreClassified(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "robots", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/robots (%v)", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			m := mustParse(t, mustRead(t, f))
			robot := strings.HasPrefix(name, "robot-")
			if m.IsAutomatic() != robot {
				t.Errorf("automatic = %v (%q: %s), want %v", m.IsAutomatic(), m.Auto.Kind, m.Auto.Reason, robot)
			}
			if robot && m.Auto.Kind == KindBounce {
				t.Errorf("classified a bounce (%s): no robot here reports a failed delivery", m.Auto.Reason)
			}
		})
	}
}
