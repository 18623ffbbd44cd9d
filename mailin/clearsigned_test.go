package mailin

import "testing"

func TestACleartextSignedBodyIsReadWithoutItsArmour(t *testing.T) {
	raw := "From: Alice <alice@a.test>\r\nTo: support@helpdesk.example\r\nSubject: Printer\r\nMessage-ID: <pgp1@a.test>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\n" +
		"The printer in room 4 is broken.\r\n- - It smokes.\r\n- -----\r\nAlice\r\n" +
		"-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n=abcd\r\n-----END PGP SIGNATURE-----\r\n" +
		"_______________\r\nSent through the list\r\n"
	m, err := Parse([]byte(raw), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "The printer in room 4 is broken.\n- It smokes.\n-----\nAlice\n_______________\nSent through the list\n"
	if m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
	for name, body := range map[string]string{
		"no signature":       "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nText.\n",
		"no end":             "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nText.\n-----BEGIN PGP SIGNATURE-----\nabc\n",
		"a quoted one":       "Thanks!\n\n> -----BEGIN PGP SIGNED MESSAGE-----\n> Hash: SHA256\n>\n> Text.\n",
		"not headers":        "-----BEGIN PGP SIGNED MESSAGE-----\nnot a header\n\nText.\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
		"armour in the text": "About the armour:\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nText.\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
	} {
		if got := unwrapClearsigned(body); got != body {
			t.Errorf("%s: %q became %q", name, body, got)
		}
	}
}
