package triage

import (
	"strings"
	"testing"
)

func TestNormalizeSubject(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain subject is lower cased", "Printer On Fire", "printer on fire"},
		{"english reply", "Re: Printer on fire", "printer on fire"},
		{"english forward", "Fwd: Printer on fire", "printer on fire"},
		{"outlook forward", "FW: Printer on fire", "printer on fire"},
		{"stacked prefixes", "RE: Fwd: re: FW: Printer on fire", "printer on fire"},
		{"german reply and forward", "AW: WG: Drucker brennt", "drucker brennt"},
		{"scandinavian reply and forward", "SV: VS: VB: Skrivaren brinner", "skrivaren brinner"},
		{"finnish forward", "VL: Tulostin palaa", "tulostin palaa"},
		{"dutch reply and forward", "Antw: Doorst: Printer in brand", "printer in brand"},
		{"french reply with a space before the colon", "RE : Imprimante en feu", "imprimante en feu"},
		{"french reference and forward", "Réf. : TR: Imprimante en feu", "imprimante en feu"},
		{"french reference without colon", "Réf. Imprimante en feu", "imprimante en feu"},
		{"italian reply and forward", "R: RIF: Stampante in fiamme", "stampante in fiamme"},
		{"polish reply and forward", "Odp: PD: Drukarka się pali", "drukarka się pali"},
		{"spanish and portuguese forward", "RV: ENC: Impresora en llamas", "impresora en llamas"},
		{"turkish reply and forward", "YNT: İLT: Yazıcı yanıyor", "yazıcı yanıyor"},
		{"greek reply", "ΑΠ: Ο εκτυπωτής καίγεται", "ο εκτυπωτής καίγεται"},
		{"russian reply and forward", "Отв: Пересл: Принтер горит", "принтер горит"},
		{"chinese reply with full-width colon", "回复：打印机着火了", "打印机着火了"},
		{"japanese reply and forward", "返信: 転送: プリンターが燃えている", "プリンターが燃えている"},
		{"counted replies", "Re[2]: Re(3): Re^4: Printer", "printer"},
		{"ticket tag in front", "[HD#12] Printer on fire", "printer on fire"},
		{"ticket tag after a prefix", "Re: [HD#12] Re: Printer on fire", "printer on fire"},
		{"ticket tag at the end", "Printer on fire [HD#12]", "printer on fire"},
		{"ticket tag with spaces", "Re: Printer [Ticket #1042] on fire", "printer on fire"},
		{"list tag in front", "[users] Re: [HD#7] Printer", "printer"},
		{"old forward suffix", "Printer on fire (fwd)", "printer on fire"},
		{"runs of spaces collapse", "  Re:   Printer \t on\u00a0 fire  ", "printer on fire"},
		{"a word that starts like a prefix stays", "Reset my password", "reset my password"},
		{"a prefix inside the subject stays", "Question re: invoice", "question re: invoice"},
		{"a word ending in r before a colon stays", "Error: disk full", "error: disk full"},
		{"brackets inside the subject stay", "Error [500] on login", "error [500] on login"},
		{"only prefixes leave nothing", "Re: Fwd:", ""},
		{"empty", "", ""},
		{"decomposed accents compare as composed", "Re\u0301f. : Cafe\u0301", "café"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NormalizeSubject(tc.in); got != tc.want {
				t.Errorf("NormalizeSubject(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

const request = `Hello,

since this morning none of us can print to the printer on the second floor.
The display shows error E-42 and the paper tray light blinks. We restarted
it twice and checked the cable, with no change. Could someone look at it
today? We have a board meeting tomorrow and need the handouts.

Thanks,
Ann Smith
Accounting, room 2.14
`

func TestNearDuplicate(t *testing.T) {
	rewrapped := strings.Join(strings.Fields(request), " ")
	quotedBelow := request + "\nOn Mon, 3 Jun 2024 at 09:12, Ann Smith <ann@example.com> wrote:\n> Hello,\n> an earlier mail about the printer\n> with other words entirely\n"
	quotedAbove := "> Earlier mail text\n> more of it\n\n" + request
	outlook := request + "\n-----Original Message-----\nFrom: Ann Smith\nSent: Monday\nSubject: Printer\n\nSomething else that was said before.\n"
	oneWordChanged := strings.Replace(request, "tomorrow", "on Friday", 1)
	typoFixed := strings.Replace(request, "printer", "pritner", 1)
	sentenceRemoved := strings.Replace(request, "We have a board meeting tomorrow and need the handouts.", "", 1)
	for _, tc := range []struct {
		name string
		a, b string
		want bool
	}{
		{"the same text", request, request, true},
		{"the same text in other case and wrapping", request, strings.ToUpper(rewrapped), true},
		{"the same text with CRLF line ends", request, strings.ReplaceAll(request, "\n", "\r\n"), true},
		{"the same text with a quote below", request, quotedBelow, true},
		{"the same text with a quote above", quotedAbove, request, true},
		{"the same text with an Outlook original below", outlook, request, true},
		{"the same text with different quotes", quotedAbove, quotedBelow, true},
		{"one word changed in a long text", request, oneWordChanged, true},
		{"another text", request, "Hello, my laptop does not start since the update. It shows a black screen. Ann", false},
		{"the same text with a sentence added", request, request + "\nAlso the scanner on the third floor needs toner, and the coffee machine leaks.\n", false},
		{"a typo in a long text", request, typoFixed, true},
		{"the same text with a sentence left out", request, sentenceRemoved, false},
		{"short texts that differ by a word", "please reset my password", "please reset my password now", false},
		{"short texts that are equal", "Thanks!", "  thanks! ", true},
		{"an empty text and a text", "", request, false},
		{"two empty texts", "", "\n> only a quote\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NearDuplicate(tc.a, tc.b); got != tc.want {
				t.Errorf("NearDuplicate = %v, want %v", got, tc.want)
			}
			if got := NearDuplicate(tc.b, tc.a); got != tc.want {
				t.Errorf("NearDuplicate with the texts swapped = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDuplicate(t *testing.T) {
	first := Mail{From: "ann@example.com", Subject: "Printer on fire", Body: request}
	for _, tc := range []struct {
		name string
		b    Mail
		want bool
	}{
		{"the same mail sent twice", first, true},
		{"a resend with Fwd: and other quoting", Mail{From: "ANN@example.com", Subject: "Fwd: [HD#1042] printer on fire", Body: "> earlier\n" + request}, true},
		{"another sender", Mail{From: "bob@example.com", Subject: "Printer on fire", Body: request}, false},
		{"another subject", Mail{From: "ann@example.com", Subject: "Printer jammed", Body: request}, false},
		{"another text", Mail{From: "ann@example.com", Subject: "Printer on fire", Body: "It is out now, never mind."}, false},
		{"no sender", Mail{Subject: "Printer on fire", Body: request}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Duplicate(first, tc.b); got != tc.want {
				t.Errorf("Duplicate = %v, want %v", got, tc.want)
			}
		})
	}
	if Duplicate(Mail{Subject: "x", Body: "y"}, Mail{Subject: "x", Body: "y"}) {
		t.Error("two mails without sender are duplicates")
	}
}
