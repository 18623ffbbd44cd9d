package mailin

import "testing"

func TestDecodeUTF7(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII passes through", "Hello, world.", "Hello, world."},
		{"a shift ended by a dash", "Fr+APY-sche", "Frösche"},
		{"RFC 2152 example: a shift ended by a period", "A+ImIDkQ.", "A≢Α."},
		{"RFC 2152 example: Japanese", "+ZeVnLIqe-", "日本語"},
		{"RFC 2152 example: the pound sign", "Item 3 is +AKM-1.", "Item 3 is £1."},
		{"RFC 2152 example: a dash after the shift is absorbed, the next one kept", "Hi Mom -+Jjo--!", "Hi Mom -☺-!"},
		{"+- is a literal plus", "1 +- 1 = 2", "1 + 1 = 2"},
		{"a surrogate pair becomes one character", "+2D3eAA-", "😀"},
		{"a shift open at the end of the input ends there", "Fr+APY", "Frö"},
		{"a shift ends at a byte outside the base64 alphabet, which is kept", "+APY!sche", "ö!sche"},
		{"an equals sign is not base64 padding in UTF-7", "+APY=", "ö="},
		{"a plus before a space is kept as written", "1 + 1 = 2", "1 + 1 = 2"},
		{"a plus at the end is kept", "C+", "C+"},
		{"leftover bits of a short shift are discarded", "+AP-x", "x"},
		{"a lone high surrogate becomes U+FFFD", "+2D0-x", "\uFFFDx"},
		{"a lone low surrogate becomes U+FFFD", "+3gA-x", "\uFFFDx"},
		{"a high surrogate followed by a letter becomes U+FFFD and the letter", "+2D0AQQ-", "\uFFFDA"},
		{"raw UTF-8 in a mislabelled text is kept", "caf\xc3\xa9", "café"},
		{"stray 8-bit bytes become U+FFFD", "caf\xe9", "caf\uFFFD"},
		{"two shifts in a row", "+AOQ-+APY-", "äö"},
		{"an empty input", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeUTF7([]byte(tc.in)); got != tc.want {
				t.Errorf("decodeUTF7(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestUTF7Labels(t *testing.T) {
	for _, label := range []string{"utf-7", "UTF-7", `"utf-7"`, "unicode-1-1-utf-7", "UNICODE-1-1-UTF-7", "csUnicode11UTF7", "x-unicode-2-0-utf-7"} {
		if got := toUTF8(label, []byte("Fr+APY-sche")); got != "Frösche" {
			t.Errorf("toUTF8(%q) = %q, want Frösche", label, got)
		}
	}
}

func TestUTF7Mail(t *testing.T) {
	t.Run("an Outlook Express mail in UTF-7 has its subject, name, text and file name decoded", func(t *testing.T) {
		m := mustParse(t, readFixture(t, "utf7-outlook.eml"))
		if m.Subject != "Frösche im Teich" {
			t.Errorf("Subject = %q", m.Subject)
		}
		if m.From.Name != "Jürgen Müller" {
			t.Errorf("From = %+v", m.From)
		}
		if want := "Hallo,\n\ndie Frösche quaken. Preis: 5 €, und 1 + 1 = 2.\n日本語\n"; m.Text != want {
			t.Errorf("Text = %q, want %q", m.Text, want)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Filename != "Grüße.txt" || string(m.Attachments[0].Data) != "Hallo" {
			t.Errorf("Attachments = %+v", m.Attachments)
		}
	})
	t.Run("a base64 subject and HTML body in unicode-1-1-utf-7 are decoded", func(t *testing.T) {
		m := mustParse(t, readFixture(t, "utf7-mobile.eml"))
		if m.Subject != "Frösche und Kröten" {
			t.Errorf("Subject = %q", m.Subject)
		}
		if want := "<p>Die Frösche sind weg 日本語 😀</p>"; m.HTML != want {
			t.Errorf("HTML = %q, want %q", m.HTML, want)
		}
		if want := "Die Frösche sind weg 日本語 😀"; m.Text != want {
			t.Errorf("Text = %q, want %q", m.Text, want)
		}
	})
	t.Run("adjacent UTF-7 words each end their own shift", func(t *testing.T) {
		m := mustParse(t, []byte("From: a@b.example\nSubject: =?utf-7?q?Fr+APY?= =?utf-7?q?sche?=\n\nx\n"))
		if m.Subject != "Frösche" {
			t.Errorf("Subject = %q", m.Subject)
		}
	})
}
