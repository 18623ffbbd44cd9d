package mailin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const deskMarker = "-- Reply above this line --"

func TestStripQuoted(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts StripOptions
		want string
	}{
		{
			name: "a reply that is all quote gives nothing",
			text: "On Mon, 6 Jan 2025 at 10:02, Help Desk <support@helpdesk.example> wrote:\n\n> Your ticket is open.\n> Reply to add to it.\n",
			want: "",
		},
		{
			name: "answers between quoted lines are kept",
			text: "On 1/6/25 9:58 AM, Carla wrote:\n> Which version?\n\n2.4.1.\n\n> Notes column kept?\n\nYes.\n\n> Thanks\n",
			want: "2.4.1.\n\nYes.",
		},
		{
			name: "an answer right under a long quoted line is kept",
			text: "On Mon, 6 Jan 2025 at 10:02, Carla <carla@customer.example> wrote:\n> The export stops at row 65536 and the Notes column is missing from every file\nYes, both are fixed.\n> Thanks\n",
			want: "Yes, both are fixed.",
		},
		{
			name: "the marker cuts everything below it, quoted or not",
			text: "Fixed.\n\n> -- reply ABOVE this  line --\n> Ticket [HD#1042]\n",
			opts: StripOptions{Markers: []string{deskMarker}},
			want: "Fixed.",
		},
		{
			name: "text below the marker is cut even when it answers inline",
			text: "Top.\n\n" + deskMarker + "\nCarla wrote:\n> question\nanswer\n",
			opts: StripOptions{Markers: []string{deskMarker}},
			want: "Top.",
		},
		{
			name: "a client's line right above the marker goes with it",
			text: "Fixed.\n\nAnn\n\nHelp Desk <support@helpdesk.example> 06.01.2025 10:02\n\n| " + deskMarker + "\n| Ticket\n",
			opts: StripOptions{Markers: []string{deskMarker}},
			want: "Fixed.\n\nAnn",
		},
		{
			name: "the writer's last line above the marker stays",
			text: "Fixed.\n\nAnn\n\n" + deskMarker + "\nTicket\n",
			opts: StripOptions{Markers: []string{deskMarker}},
			want: "Fixed.\n\nAnn",
		},
		{
			name: "a signature is kept unless signatures are stripped",
			text: "Fixed.\n\n-- \nAnn Agent\nExample Ltd.\n",
			want: "Fixed.\n\n-- \nAnn Agent\nExample Ltd.",
		},
		{
			name: "a signature is cut when signatures are stripped",
			text: "Fixed.\n\n-- \nAnn Agent\nExample Ltd.\n",
			opts: StripOptions{StripSignatures: true},
			want: "Fixed.",
		},
		{
			name: "a closing and a short name block are cut when signatures are stripped",
			text: "Fixed.\n\nKind regards,\n\nAnn Agent\nSupport\n",
			opts: StripOptions{StripSignatures: true},
			want: "Fixed.",
		},
		{
			name: "a reply that is only a closing keeps it",
			text: "Cheers!\n",
			opts: StripOptions{StripSignatures: true},
			want: "Cheers!",
		},
		{
			name: "a phone's signature line is cut with what follows when signatures are stripped",
			text: "On my way.\n\nVon meinem iPhone gesendet\n\nHi there!\n",
			opts: StripOptions{StripSignatures: true},
			want: "On my way.",
		},
		{
			name: "sentences that start with On are kept",
			text: "On Monday it worked.\nOn Tuesday it failed:\n\n  Error 500\n",
			want: "On Monday it worked.\nOn Tuesday it failed:\n\n  Error 500",
		},
		{
			name: "a verb without date or address above unquoted text keeps the text",
			text: "The manual wrote:\n\nrestart the service\n\nDid that.\n",
			want: "The manual wrote:\n\nrestart the service\n\nDid that.",
		},
		{
			name: "a sentence above a wrapped attribution is kept",
			text: "Call me at 10:00 tomorrow.\nOn Mon, Jan 6, 2025 at 9:41 AM Help Desk <\nsupport@helpdesk.example> wrote:\n> Ticket open\n",
			want: "Call me at 10:00 tomorrow.",
		},
		{
			name: "a reply and an attribution on one line are split",
			text: "Thanks! On Mon, Jan 6, 2025 at 9:41 AM, Help Desk <support@helpdesk.example> wrote:\n> Ticket open\n",
			want: "Thanks!",
		},
		{
			name: "a Python session is not a quote",
			text: "It fails here:\n\n>>> import export\n>>> export.run(rows=80000)\nTraceback (most recent call last):\n",
			want: "It fails here:\n\n>>> import export\n>>> export.run(rows=80000)\nTraceback (most recent call last):",
		},
		{
			name: "a forwarded message is kept",
			text: "FYI\n\n---------- Forwarded message ---------\nFrom: Carla <carla@customer.example>\nDate: Mon, Jan 6, 2025 at 9:41 AM\nSubject: Export\nTo: Ann <ann@example.com>\n\nIt stops.\n",
			want: "FYI\n\n---------- Forwarded message ---------\nFrom: Carla <carla@customer.example>\nDate: Mon, Jan 6, 2025 at 9:41 AM\nSubject: Export\nTo: Ann <ann@example.com>\n\nIt stops.",
		},
		{
			name: "an Outlook header block in a forward is kept",
			text: "FYI\n\nFrom: Carla <carla@customer.example>\nSent: Monday, January 6, 2025 9:41 AM\nTo: Ann\nSubject: Export\n\nIt stops.\n",
			opts: StripOptions{Forwarded: true},
			want: "FYI\n\nFrom: Carla <carla@customer.example>\nSent: Monday, January 6, 2025 9:41 AM\nTo: Ann\nSubject: Export\n\nIt stops.",
		},
		{
			name: "a mailing list footer is cut",
			text: "Works now.\n\n_______________________________________________\nusers mailing list\nusers@lists.example.org\nhttps://lists.example.org/mailman/listinfo/users\n",
			want: "Works now.",
		},
		{
			name: "CRLF line ends are read",
			text: "Done.\r\n\r\nOn Mon, Jan 6, 2025 at 9:41 AM Help Desk <support@helpdesk.example> wrote:\r\n> old\r\n",
			want: "Done.",
		},
		{
			name: "a right-to-left attribution between direction marks is found",
			text: "תודה\n\n\u200fב-6 בינו׳ 2025, בשעה 10:02, \u200fHelp Desk <support@helpdesk.example>\u200f כתב/ה:\u200f\n\nold text\n",
			want: "תודה",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.text, tt.opts); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestAttributionLanguages checks that the attribution line of each
// language's common clients is found: above unquoted history, which is
// cut, and above a quote followed by an answer, which is kept.
func TestAttributionLanguages(t *testing.T) {
	attributions := map[string]string{
		"en gmail":       "On Mon, Jan 6, 2025 at 10:02 AM Help Desk <support@helpdesk.example> wrote:",
		"en thunderbird": "On 1/6/25 10:02 AM, Help Desk wrote:",
		"en tb wrote on": "Help Desk wrote on 06/01/2025 10:02:",
		"en evolution":   "On Mon, 2025-01-06 at 10:02 +0100, Help Desk wrote:",
		"en yahoo":       "On Monday, January 6, 2025 at 10:02:11 AM GMT+1, Help Desk <support@helpdesk.example> wrote:",
		"de gmail":       "Am Mo., 6. Jan. 2025 um 10:02 Uhr schrieb Help Desk <support@helpdesk.example>:",
		"de thunderbird": "Am 06.01.25 um 10:02 schrieb Help Desk:",
		"fr gmail":       "Le lun. 6 janv. 2025 à 10:02, Help Desk <support@helpdesk.example> a écrit :",
		"es gmail":       "El lun, 6 ene 2025 a las 10:02, Help Desk (<support@helpdesk.example>) escribió:",
		"ca gmail":       "El dl., 6 de gen. 2025 a les 10:02, Help Desk (<support@helpdesk.example>) va escriure:",
		"pt gmail":       "Em seg., 6 de jan. de 2025 às 10:02, Help Desk <support@helpdesk.example> escreveu:",
		"it gmail":       "Il giorno lun 6 gen 2025 alle ore 10:02 Help Desk <support@helpdesk.example> ha scritto:",
		"nl gmail":       "Op ma 6 jan 2025 om 10:02 schreef Help Desk <support@helpdesk.example>:",
		"nl apple":       "Op 6 jan 2025, om 10:02 heeft Help Desk <support@helpdesk.example> het volgende geschreven:",
		"sv gmail":       "Den mån 6 jan. 2025 kl 10:02 skrev Help Desk <support@helpdesk.example>:",
		"da gmail":       "Den man. 6. jan. 2025 kl. 10.02 skrev Help Desk <support@helpdesk.example>:",
		"no gmail":       "man. 6. jan. 2025 kl. 10:02 skrev Help Desk <support@helpdesk.example>:",
		"fi gmail":       "ma 6.1.2025 klo 10.02 Help Desk (<support@helpdesk.example>) kirjoitti:",
		"pl gmail":       "pon., 6 sty 2025 o 10:02 Help Desk <support@helpdesk.example> napisał(a):",
		"pl thunderbird": "W dniu 6.01.2025 o 10:02, Help Desk pisze:",
		"cs gmail":       "po 6. 1. 2025 v 10:02 odesílatel Help Desk <support@helpdesk.example> napsal:",
		"hu gmail":       "Help Desk <support@helpdesk.example> ezt írta (időpont: 2025. jan. 6., H, 10:02):",
		"ro gmail":       "Pe lun., 6 ian. 2025 la 10:02, Help Desk <support@helpdesk.example> a scris:",
		"ru gmail":       "пн, 6 янв. 2025 г. в 10:02, Help Desk <support@helpdesk.example>:",
		"ru thunderbird": "06.01.2025 10:02, Help Desk пишет:",
		"uk gmail":       "пн, 6 січ. 2025 р. о 10:02 Help Desk <support@helpdesk.example> пише:",
		"el gmail":       "Στις Δευ 6 Ιαν 2025 στις 10:02, ο/η Help Desk <support@helpdesk.example> έγραψε:",
		"tr gmail":       "Help Desk <support@helpdesk.example>, 6 Oca 2025 Pzt, 10:02 tarihinde şunu yazdı:",
		"id gmail":       "Pada tanggal Sen, 6 Jan 2025 pukul 10.02 Help Desk <support@helpdesk.example> menulis:",
		"vi gmail":       "Vào Th 2, 6 thg 1, 2025 vào lúc 10:02 Help Desk <support@helpdesk.example> đã viết:",
		"ja gmail":       "2025年1月6日(月) 10:02 Help Desk <support@helpdesk.example>:",
		"ja apple":       "2025/01/06 10:02、Help Desk <support@helpdesk.example>のメール:",
		"zh gmail":       "Help Desk <support@helpdesk.example> 于2025年1月6日周一 10:02写道：",
		"zh-tw gmail":    "Help Desk <support@helpdesk.example> 於 2025年1月6日 週一 上午10:02寫道：",
		"ko gmail":       "2025년 1월 6일 (월) 오전 10:02, Help Desk <support@helpdesk.example>님이 작성:",
		"ar gmail":       "في الاثنين، 6 يناير 2025 في 10:02 ص، كتب Help Desk <support@helpdesk.example>:",
		"he gmail":       "ב-6 בינו׳ 2025, בשעה 10:02, Help Desk <support@helpdesk.example> כתב/ה:",
		"mutt":           "* Help Desk <support@helpdesk.example> [2025-01-06 10:02]:",
		// Clients beyond the big ones, and the no-break spaces that HTML
		// and typography put into attributions.
		"en gmail nnbsp":  "On Mon, Jan 6, 2025 at 10:02\u202fAM Help Desk <support@helpdesk.example> wrote:",
		"fr apple nbsp":   "Le 6 janv. 2025 à 10:02, Help Desk <support@helpdesk.example> a\u00a0écrit\u00a0:",
		"en horde":        "Quoting Help Desk <support@helpdesk.example>:",
		"de horde":        "Zitat von Help Desk <support@helpdesk.example>:",
		"en tuta":         "Jan 6, 2025, 10:02 by support@helpdesk.example:",
		"de tuta":         "6. Jan. 2025, 10:02 von support@helpdesk.example:",
		"en spark":        "On 6 Jan 2025 at 10:02 +0100, Help Desk <support@helpdesk.example>, wrote:",
		"en fastmail":     "On Mon, 6 Jan 2025, at 10:02, Help Desk wrote:",
		"en hey":          "On January 6, 2025, Help Desk <support@helpdesk.example> wrote:",
		"en proton":       "On Monday, January 6th, 2025 at 10:02, Help Desk <support@helpdesk.example> wrote:",
		"en squirrelmail": "On Mon, January 6, 2025 10:02 am, Help Desk wrote:",
		"en roundcube":    "On 2025-01-06 10:02, Help Desk wrote:",
		"de roundcube":    "Am 2025-01-06 10:02, schrieb Help Desk:",
		"de kmail":        "Am Montag, 6. Januar 2025, 10:02:11 CET schrieb Help Desk:",
		"de evolution":    "Am Montag, den 06.01.2025, 10:02 +0100 schrieb Help Desk:",
		"en zoho":         "---- On Mon, 06 Jan 2025 10:02:11 +0100 Help Desk <support@helpdesk.example> wrote ---",
		"pl wp":           "Dnia 6 stycznia 2025 10:02 Help Desk <support@helpdesk.example> napisał(a):",
		"ru mail.ru":      "Понедельник, 6 января 2025, 10:02 +03:00 от Help Desk <support@helpdesk.example>:",
		"ru yandex":       "06.01.2025, 10:02, \"Help Desk\" <support@helpdesk.example>:",
		"android":         "---- Help Desk wrote ----",
	}
	for name, attr := range attributions {
		t.Run(name, func(t *testing.T) {
			history := "New text.\n\n" + attr + "\n\nYour ticket is open.\n"
			if got := StripQuoted(history, StripOptions{}); got != "New text." {
				t.Errorf("above unquoted history: got\n%s", got)
			}
			inline := attr + "\n> Which version?\n\n2.4.1.\n"
			if got := StripQuoted(inline, StripOptions{}); got != "2.4.1." {
				t.Errorf("above a quote: got\n%s", got)
			}
		})
	}
}

// TestHeaderBlockLayouts checks the header blocks of webmail and phone
// clients that differ from Outlook's: the date first (GMX, WEB.DE), a
// title between dashes in a language not listed, tabs, bold labels, more
// fields. A text that only looks a little like one is kept.
func TestHeaderBlockLayouts(t *testing.T) {
	blocks := map[string]string{
		"gmx":        "Gesendet: Montag, 06. Januar 2025 um 10:02 Uhr\nVon: \"Help Desk\" <support@helpdesk.example>\nAn: alice@a.test\nBetreff: Re: [HD#1042] Printer",
		"seznam":     "---------- Původní e-mail ----------\nOd: Help Desk <support@helpdesk.example>\nKomu: alice@a.test\nDatum: 6. 1. 2025 10:02:11\nPředmět: Re: [HD#1042] Printer",
		"other dash": "------ Originalbericht ------\nVan: Help Desk <support@helpdesk.example>\nDatum: 6 januari 2025 10:02\nAan: alice@a.test\nOnderwerp: Re: [HD#1042] Printer",
		"samsung":    "-------- Original message --------\nFrom: Help Desk <support@helpdesk.example> \nDate: 06/01/2025 10:02 (GMT+01:00) \nTo: Alice <alice@a.test> \nSubject: Re: [HD#1042] Printer ",
		"zimbra":     "----- Original Message -----\nFrom: \"Help Desk\" <support@helpdesk.example>\nTo: \"Alice\" <alice@a.test>\nSent: Monday, January 6, 2025 10:02:11 AM\nSubject: Re: [HD#1042] Printer",
		"notes tabs": "From:\tHelp Desk <support@helpdesk.example>\nTo:\talice@a.test\nDate:\t06/01/2025 10:02\nSubject:\tRe: [HD#1042] Printer",
		"qq":         "------------------ 原始邮件 ------------------\n发件人: \"Help Desk\"<support@helpdesk.example>;\n发送时间: 2025年1月6日(星期一) 上午10:02\n收件人: \"Alice\"<alice@a.test>;\n主题: Re: [HD#1042] Printer",
		"naver":      "-----Original Message-----\nFrom: \"Help Desk\"<support@helpdesk.example>\nTo: \"Alice\"<alice@a.test>;\nCc:\nSent: 2025-01-06 (월) 10:02:11 (GMT+09:00)\nSubject: Re: [HD#1042] Printer",
		"bold":       "*From:* Help Desk <support@helpdesk.example>\n*Sent:* Monday, January 6, 2025 10:02 AM\n*To:* Alice <alice@a.test>\n*Subject:* Re: [HD#1042] Printer",
		"importance": "From: Help Desk <support@helpdesk.example>\nSent: Monday, January 6, 2025 10:02 AM\nTo: Alice <alice@a.test>\nSubject: RE: [HD#1042] Printer\nImportance: High",
	}
	for name, block := range blocks {
		t.Run(name, func(t *testing.T) {
			text := "New text.\n\n" + block + "\n\nYour ticket is open.\n"
			if got := StripQuoted(text, StripOptions{}); got != "New text." {
				t.Errorf("got\n%s", got)
			}
		})
	}
	for name, text := range map[string]string{
		"a date and a subject, no sender": "The export failed twice.\n\nDate: Monday, 6 January\nSubject: the March invoice\nTo: accounting\n\nPlease check it.",
		"a rule and a heading":            "The export failed twice.\n\n---------- Steps ----------\nOpen the report.\nClick export.",
	} {
		if got := StripQuoted(text, StripOptions{}); got != text {
			t.Errorf("%s: got\n%s", name, got)
		}
	}
}

// TestHeaderBlockLanguages checks Outlook's quoted header block in the
// languages Outlook ships in.
func TestHeaderBlockLanguages(t *testing.T) {
	blocks := map[string][4]string{
		"en": {"From", "Sent", "To", "Subject"},
		"de": {"Von", "Gesendet", "An", "Betreff"},
		"fr": {"De", "Envoyé", "À", "Objet"},
		"es": {"De", "Enviado", "Para", "Asunto"},
		"pt": {"De", "Enviada em", "Para", "Assunto"},
		"it": {"Da", "Inviato", "A", "Oggetto"},
		"nl": {"Van", "Verzonden", "Aan", "Onderwerp"},
		"sv": {"Från", "Skickat", "Till", "Ämne"},
		"da": {"Fra", "Sendt", "Til", "Emne"},
		"fi": {"Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe"},
		"pl": {"Od", "Wysłano", "Do", "Temat"},
		"cs": {"Od", "Odesláno", "Komu", "Předmět"},
		"hu": {"Feladó", "Elküldve", "Címzett", "Tárgy"},
		"ru": {"От", "Отправлено", "Кому", "Тема"},
		"uk": {"Від", "Надіслано", "Кому", "Тема"},
		"tr": {"Kimden", "Gönderildi", "Kime", "Konu"},
		"el": {"Από", "Στάλθηκε", "Προς", "Θέμα"},
		"ja": {"差出人", "送信日時", "宛先", "件名"},
		"zh": {"发件人", "发送时间", "收件人", "主题"},
		"tw": {"寄件者", "寄件日期", "收件者", "主旨"},
		"ko": {"보낸 사람", "보낸 날짜", "받는 사람", "제목"},
	}
	for lang, l := range blocks {
		t.Run(lang, func(t *testing.T) {
			text := "New text.\n\n" + l[0] + ": Help Desk <support@helpdesk.example>\n" + l[1] + ": 6.1.2025 10:02\n" +
				l[2] + ": Ann <ann@example.com>\n" + l[3] + ": [HD#1042] Export\n\nYour ticket is open.\n"
			if got := StripQuoted(text, StripOptions{}); got != "New text." {
				t.Errorf("got\n%s", got)
			}
		})
	}
}

func TestStripQuotedHTML(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{
			name: "a blockquote without a sign of quoting is the writer's own",
			html: `<div>As the manual says:</div><blockquote>Restart the service.</blockquote><div>Did that.</div>`,
			want: "As the manual says:\nRestart the service.\nDid that.",
		},
		{
			name: "Gmail's quote goes, its attribution too",
			html: `<div dir="ltr">Done.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Jan 6, 2025 at 10:02 AM Help Desk &lt;support@helpdesk.example&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Ticket open.</blockquote></div>`,
			want: "Done.",
		},
		{
			name: "text in sentinel characters is dropped, not taken for structure",
			html: "<div>Done.\uE002</div><div>\uE000still mine</div>",
			want: "Done.\nstill mine",
		},
		{
			name: "an unclosed quote hides the rest",
			html: `<div>Done.</div><blockquote type="cite"><div>old`,
			want: "Done.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuotedHTML(tt.html, StripOptions{}); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestNewTextForward(t *testing.T) {
	raw := "From: Ann Agent <ann@example.com>\r\nTo: support@helpdesk.example\r\nSubject: [HD#1042] FW: Export\r\n\r\n" +
		"FYI\r\n\r\nFrom: Carla <carla@customer.example>\r\nSent: Monday, January 6, 2025 9:41 AM\r\nTo: Ann\r\nSubject: Export\r\n\r\nIt stops.\r\n"
	m, err := Parse([]byte(raw), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := NewText(m, StripOptions{}); !strings.HasSuffix(got, "It stops.") {
		t.Errorf("a forward lost the forwarded mail: got\n%s", got)
	}
	m.Subject = "RE: FW: Export"
	if got := NewText(m, StripOptions{}); got != "FYI" {
		t.Errorf("a reply to a forward kept the quoted mail: got\n%s", got)
	}
}

func TestDatePartsAndAddress(t *testing.T) {
	tests := []struct {
		s                    string
		hasTime, hasDate, at bool
	}{
		{"On Mon, Jan 6, 2025 at 10:02 AM", true, true, false},
		{"Am 06.01.25 um 10:02 schrieb", true, true, false},
		{"Le 6 janv. à 10h30", true, false, false},
		{"1/6/25", false, true, false},
		{"2025年1月6日", false, true, false},
		{"2025년 1월 6일", false, true, false},
		{"row 65536, version 2.4.1", false, false, false},
		{"x20251y 1:2 12:3", false, false, false},
		{"Help Desk <support@helpdesk.example>", false, false, true},
		{"(valentino@rudy.be)", false, false, true},
		{"@ann on twitter, a@b, x@y.", false, false, false},
	}
	for _, tt := range tests {
		hasTime, hasDate := dateParts(tt.s)
		if hasTime != tt.hasTime || hasDate != tt.hasDate || hasAddress(tt.s) != tt.at {
			t.Errorf("%q: time %v date %v address %v, want %v %v %v", tt.s, hasTime, hasDate, hasAddress(tt.s), tt.hasTime, tt.hasDate, tt.at)
		}
	}
}

func TestTextFromHTML(t *testing.T) {
	for name, want := range map[string]bool{"html-only.eml": true, "alternative.eml": false} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(raw, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.TextFromHTML != want {
			t.Errorf("%s: TextFromHTML %v, want %v", name, m.TextFromHTML, want)
		}
	}
}
