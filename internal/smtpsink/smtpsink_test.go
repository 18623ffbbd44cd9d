package smtpsink_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"helpdesk/internal/smtpsink"
)

const body = "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\n.leading dot\r\nbye\r\n"

func start(t *testing.T, opts smtpsink.Options) *smtpsink.Sink {
	t.Helper()
	s, err := smtpsink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing sink: %v", err)
		}
	})
	return s
}

// send delivers body over an open client and returns the DATA reply error.
func send(t *testing.T, c *smtp.Client, from string, to ...string) error {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	return w.Close()
}

func dial(t *testing.T, s *smtpsink.Sink) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestSinkRecordsEnvelopeAndExactData(t *testing.T) {
	s := start(t, smtpsink.Options{})
	if s.Host() != "127.0.0.1" || s.Port() == 0 {
		t.Errorf("listening on %q port %d", s.Host(), s.Port())
	}
	c := dial(t, s)
	if err := send(t, c, "a@example.com", "b@example.com", "c@example.com"); err != nil {
		t.Fatal(err)
	}
	got, err := s.WaitFor(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := got[0]
	if r.From != "a@example.com" || !slices.Equal(r.To, []string{"b@example.com", "c@example.com"}) {
		t.Errorf("envelope %q -> %q", r.From, r.To)
	}
	if string(r.Data) != body {
		t.Errorf("data = %q, want %q", r.Data, body)
	}
	if r.At.IsZero() || r.TLS {
		t.Errorf("At %v, TLS %v", r.At, r.TLS)
	}
}

func TestMailsReturnsACopy(t *testing.T) {
	s := start(t, smtpsink.Options{})
	if err := send(t, dial(t, s), "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	first := s.Mails()
	first[0].Data[0] = 'X'
	first[0].To[0] = "changed"
	again := s.Mails()
	if again[0].Data[0] != 'F' || again[0].To[0] != "b@example.com" {
		t.Error("changing the returned mails changed the sink")
	}
}

func TestWaitForReturnsTheContextErrorWhenTooFewMailsArrive(t *testing.T) {
	s := start(t, smtpsink.Options{})
	if err := send(t, dial(t, s), "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got, err := s.WaitFor(ctx, 2)
	if !errors.Is(err, context.Canceled) || len(got) != 1 {
		t.Errorf("WaitFor = %d mails, %v", len(got), err)
	}
}

func TestWaitForWakesUpOnTheNextMail(t *testing.T) {
	s := start(t, smtpsink.Options{})
	done := make(chan []smtpsink.Received)
	go func() {
		got, _ := s.WaitFor(context.Background(), 1)
		done <- got
	}()
	if err := send(t, dial(t, s), "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := <-done; len(got) != 1 {
		t.Errorf("WaitFor returned %d mails", len(got))
	}
}

func TestFailNextRefusesExactlyNDataCommands(t *testing.T) {
	s := start(t, smtpsink.Options{})
	c := dial(t, s)
	s.FailNext(550, 2)
	for i := range 2 {
		if err := send(t, c, "a@example.com", "b@example.com"); code(err) != 550 {
			t.Fatalf("send %d: %v, want 550", i, err)
		}
	}
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Fatalf("third send: %v", err)
	}
	if n := len(s.Mails()); n != 1 {
		t.Errorf("sink recorded %d mails, want only the accepted one", n)
	}
}

func TestDeliverErrorAnswers451AndRecordsNothing(t *testing.T) {
	var (
		mu        sync.Mutex
		fail      = true
		delivered []smtpsink.Received
	)
	s := start(t, smtpsink.Options{Deliver: func(r smtpsink.Received) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("imap down")
		}
		delivered = append(delivered, r)
		return nil
	}})
	c := dial(t, s)
	if err := send(t, c, "a@example.com", "b@example.com"); code(err) != 451 {
		t.Fatalf("send = %v, want 451", err)
	}
	if n := len(s.Mails()); n != 0 {
		t.Errorf("sink recorded %d mails", n)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 1 || string(delivered[0].Data) != body {
		t.Errorf("Deliver got %+v", delivered)
	}
}

func TestAuthIsRequiredWhenAUsernameIsSet(t *testing.T) {
	s := start(t, smtpsink.Options{Username: "u", Password: "p"})
	c := dial(t, s)
	if err := send(t, c, "a@example.com", "b@example.com"); code(err)/100 != 5 {
		t.Fatalf("send without AUTH = %v, want a 5xx", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "wrong")); code(err) != 535 {
		t.Fatalf("AUTH with a wrong password = %v, want 535", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := s.Mails(); len(got) != 1 || got[0].User != "u" {
		t.Errorf("mails = %+v", got)
	}
}

func TestAuthLoginOffersOnlyLOGIN(t *testing.T) {
	s := start(t, smtpsink.Options{Username: "u", Password: "p", AuthLogin: true})
	c := dial(t, s)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if c.SupportsAuth("PLAIN") || !c.SupportsAuth("LOGIN") {
		t.Error("want AUTH LOGIN only")
	}
	if err := c.Auth(sasl.NewLoginClient("u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
}

func TestSelfSignedCertificateVerifiesFor127001(t *testing.T) {
	cfg, err := smtpsink.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cfg.Certificates[0].Leaf)
	client := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}

	t.Run("STARTTLS", func(t *testing.T) {
		s := start(t, smtpsink.Options{TLSConfig: cfg})
		c, err := smtp.DialStartTLS(s.Addr(), client)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
			t.Fatal(err)
		}
		if got := s.Mails(); len(got) != 1 || !got[0].TLS {
			t.Errorf("mails = %+v", got)
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		s := start(t, smtpsink.Options{TLSConfig: cfg, ImplicitTLS: true})
		c, err := smtp.DialTLS(s.Addr(), client)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
			t.Fatal(err)
		}
		if got := s.Mails(); len(got) != 1 || !got[0].TLS {
			t.Errorf("mails = %+v", got)
		}
	})
}

func TestImplicitTLSWithoutCertificateIsRefused(t *testing.T) {
	if s, err := smtpsink.Start(smtpsink.Options{ImplicitTLS: true}); err == nil {
		s.Close()
		t.Fatal("Start succeeded")
	}
}

func TestConnectionsCountsAndDropConnectionsCloses(t *testing.T) {
	s := start(t, smtpsink.Options{})
	c1, c2 := dial(t, s), dial(t, s)
	if err := c1.Noop(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Noop(); err != nil {
		t.Fatal(err)
	}
	if n := s.Connections(); n != 2 {
		t.Errorf("Connections = %d, want 2", n)
	}
	s.DropConnections()
	if err := c1.Noop(); err == nil {
		t.Error("NOOP on a dropped connection succeeded")
	}
	s.Reset()
	if n := s.Connections(); n != 0 {
		t.Errorf("Connections after Reset = %d", n)
	}
}

func TestResetForgetsMailsAndPendingFailures(t *testing.T) {
	s := start(t, smtpsink.Options{})
	c := dial(t, s)
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Fatal(err)
	}
	s.FailNext(451, 5)
	s.Reset()
	if n := len(s.Mails()); n != 0 {
		t.Errorf("%d mails after Reset", n)
	}
	if err := send(t, c, "a@example.com", "b@example.com"); err != nil {
		t.Errorf("send after Reset: %v", err)
	}
}

func TestCloseTwiceIsFine(t *testing.T) {
	s, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := smtp.Dial(s.Addr()); err == nil {
		c.Close()
		t.Error("a closed sink still accepts connections")
	}
}
