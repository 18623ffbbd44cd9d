package mailout_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"helpdesk/internal/smtpsink"
	"helpdesk/mailout"
)

// startSink starts an SMTP sink that is closed when the test ends.
func startSink(t testing.TB, opts smtpsink.Options) *smtpsink.Sink {
	t.Helper()
	sink, err := smtpsink.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sink.Close(); err != nil {
			t.Errorf("closing sink: %v", err)
		}
	})
	return sink
}

// newSender returns a Sender for the sink, closed when the test ends.
func newSender(t testing.TB, sink *smtpsink.Sink, mod func(o *mailout.Options)) *mailout.Sender {
	t.Helper()
	opts := mailout.Options{
		Host:    sink.Host(),
		Port:    sink.Port(),
		TLS:     mailout.TLSNone,
		HELO:    "helpdesk.test",
		Timeout: 10 * time.Second,
	}
	if mod != nil {
		mod(&opts)
	}
	s := mailout.NewSender(opts)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing sender: %v", err)
		}
	})
	return s
}

func selfSigned(t testing.TB) smtpsink.Options {
	t.Helper()
	cfg, err := smtpsink.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	return smtpsink.Options{TLSConfig: cfg}
}

// deliveryError asserts err is a *mailout.Error and returns it.
func deliveryError(t *testing.T, err error) *mailout.Error {
	t.Helper()
	if err == nil {
		t.Fatal("Send succeeded, want an error")
	}
	var e *mailout.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *mailout.Error", err, err)
	}
	return e
}

func numbered(i int) *mailout.Mail {
	m := reply()
	m.MessageID = fmt.Sprintf("hd%d.test@example.com", i)
	m.Subject = fmt.Sprintf("mail %d", i)
	return m
}

func TestSendDeliversToEnvelopeRecipientsToAndCc(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	if err := s.Send(t.Context(), reply()); err != nil {
		t.Fatal(err)
	}
	got := sink.Mails()
	if len(got) != 1 {
		t.Fatalf("sink has %d mails", len(got))
	}
	r := got[0]
	if r.From != "support@example.com" {
		t.Errorf("MAIL FROM = %q", r.From)
	}
	if want := []string{"zoe@customer.example", "boss@customer.example"}; !slices.Equal(r.To, want) {
		t.Errorf("RCPT TO = %q, want %q", r.To, want)
	}
	if r.TLS || r.User != "" {
		t.Errorf("plain session reports TLS %v, user %q", r.TLS, r.User)
	}
	checkReply(t, parse(t, r.Data))
}

func TestSendOverSTARTTLS(t *testing.T) {
	sink := startSink(t, selfSigned(t))
	s := newSender(t, sink, func(o *mailout.Options) {
		o.TLS = mailout.TLSStartTLS
		o.InsecureSkipVerify = true
	})
	if err := s.Send(t.Context(), reply()); err != nil {
		t.Fatal(err)
	}
	if got := sink.Mails(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("want one mail received over TLS, got %d (%+v)", len(got), got)
	}
}

func TestSendOverImplicitTLS(t *testing.T) {
	opts := selfSigned(t)
	opts.ImplicitTLS = true
	sink := startSink(t, opts)
	s := newSender(t, sink, func(o *mailout.Options) {
		o.TLS = mailout.TLSImplicit
		o.InsecureSkipVerify = true
	})
	if err := s.Send(t.Context(), reply()); err != nil {
		t.Fatal(err)
	}
	if got := sink.Mails(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("want one mail received over TLS, got %d", len(got))
	}
}

func TestSTARTTLSWithUntrustedCertificateFailsTemporarily(t *testing.T) {
	sink := startSink(t, selfSigned(t))
	s := newSender(t, sink, func(o *mailout.Options) { o.TLS = mailout.TLSStartTLS })
	e := deliveryError(t, s.Send(t.Context(), reply()))
	if !e.Temporary || e.Code != 0 {
		t.Errorf("got Temporary %v Code %d (%v), want temporary with code 0", e.Temporary, e.Code, e)
	}
	var certErr *tls.CertificateVerificationError
	if !errors.As(e, &certErr) {
		t.Errorf("error %v does not carry the certificate problem", e)
	}
	if n := len(sink.Mails()); n != 0 {
		t.Errorf("sink received %d mails", n)
	}
}

func TestMandatorySTARTTLSRefusesAServerWithoutIt(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, func(o *mailout.Options) {
		o.TLS = mailout.TLSStartTLS
		o.InsecureSkipVerify = true
	})
	e := deliveryError(t, s.Send(t.Context(), reply()))
	if !e.Temporary || e.Code != 0 {
		t.Errorf("got Temporary %v Code %d (%v)", e.Temporary, e.Code, e)
	}
	if n := len(sink.Mails()); n != 0 {
		t.Errorf("mail went out in clear text: sink received %d", n)
	}
}

func TestAuthWithTheRightPassword(t *testing.T) {
	for _, login := range []bool{false, true} {
		name := "PLAIN"
		if login {
			name = "LOGIN when the server offers only that"
		}
		t.Run(name, func(t *testing.T) {
			opts := selfSigned(t)
			opts.Username, opts.Password, opts.AuthLogin = "helpdesk", "s3cret", login
			sink := startSink(t, opts)
			s := newSender(t, sink, func(o *mailout.Options) {
				o.TLS = mailout.TLSStartTLS
				o.InsecureSkipVerify = true
				o.Username, o.Password = "helpdesk", "s3cret"
			})
			if err := s.Send(t.Context(), reply()); err != nil {
				t.Fatal(err)
			}
			if got := sink.Mails(); len(got) != 1 || got[0].User != "helpdesk" {
				t.Fatalf("want one mail from authenticated user, got %+v", got)
			}
		})
	}
}

// A wrong password is the desk's problem, not the mail's: the mail waits
// on the outbox until the admin fixes the password.
func TestAuthWithAWrongPasswordIsTemporaryWith535(t *testing.T) {
	opts := selfSigned(t)
	opts.Username, opts.Password = "helpdesk", "s3cret"
	sink := startSink(t, opts)
	s := newSender(t, sink, func(o *mailout.Options) {
		o.TLS = mailout.TLSStartTLS
		o.InsecureSkipVerify = true
		o.Username, o.Password = "helpdesk", "wrong"
	})
	e := deliveryError(t, s.Send(t.Context(), reply()))
	if !e.Temporary || e.Code != 535 {
		t.Errorf("got Temporary %v Code %d (%v), want temporary 535", e.Temporary, e.Code, e)
	}
	if n := len(sink.Mails()); n != 0 {
		t.Errorf("sink received %d mails", n)
	}
}

func TestFailNext451IsTemporaryAndTheNextSendRedials(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	if err := s.Send(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	sink.FailNext(451, 1)
	e := deliveryError(t, s.Send(t.Context(), numbered(2)))
	if !e.Temporary || e.Code != 451 {
		t.Errorf("got Temporary %v Code %d (%v), want temporary 451", e.Temporary, e.Code, e)
	}
	if !mailout.IsTemporary(e) {
		t.Error("IsTemporary = false")
	}
	if err := s.Send(t.Context(), numbered(3)); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := sink.Mails(); len(got) != 2 {
		t.Errorf("sink has %d mails, want the first and the retried one", len(got))
	}
	if n := sink.Connections(); n != 2 {
		t.Errorf("%d connections, want 2: the connection is dropped after a failure", n)
	}
}

func TestFailNext550IsPermanent(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	sink.FailNext(550, 1)
	e := deliveryError(t, s.Send(t.Context(), reply()))
	if e.Temporary || e.Code != 550 {
		t.Errorf("got Temporary %v Code %d (%v), want permanent 550", e.Temporary, e.Code, e)
	}
	if mailout.IsTemporary(e) {
		t.Error("IsTemporary = true")
	}
}

func TestServerDownIsTemporaryWithCodeZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	s := mailout.NewSender(mailout.Options{Host: "127.0.0.1", Port: port, TLS: mailout.TLSNone, Timeout: 5 * time.Second})
	defer s.Close()
	e := deliveryError(t, s.Send(t.Context(), reply()))
	if !e.Temporary || e.Code != 0 {
		t.Errorf("got Temporary %v Code %d (%v), want temporary 0", e.Temporary, e.Code, e)
	}
	var opErr *net.OpError
	if !errors.As(e, &opErr) {
		t.Errorf("error %v does not wrap the network error", e)
	}
}

func TestOneConnectionCarriesSeveralMails(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	for i := range 3 {
		if err := s.Send(t.Context(), numbered(i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := sink.Connections(); n != 1 {
		t.Errorf("%d connections for 3 mails, want 1", n)
	}
	got := sink.Mails()
	if len(got) != 3 {
		t.Fatalf("sink has %d mails", len(got))
	}
	for i, r := range got {
		h := parse(t, r.Data).header
		if id, _ := h.MessageID(); id != fmt.Sprintf("hd%d.test@example.com", i) {
			t.Errorf("mail %d has Message-ID %q", i, id)
		}
	}
}

func TestADroppedConnectionIsRedialled(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	if err := s.Send(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	sink.DropConnections()
	if err := s.Send(t.Context(), numbered(2)); err != nil {
		t.Fatalf("send after the server dropped the connection: %v", err)
	}
	if n := len(sink.Mails()); n != 2 {
		t.Errorf("sink has %d mails, want 2", n)
	}
	if n := sink.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestAConnectionDroppedWhileIdleIsRedialled(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	if err := s.Send(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	// Idle long enough for the next transaction to start with a NOOP.
	time.Sleep(1100 * time.Millisecond)
	sink.DropConnections()
	if err := s.Send(t.Context(), numbered(2)); err != nil {
		t.Fatalf("send after the server dropped the idle connection: %v", err)
	}
	if n, c := len(sink.Mails()), sink.Connections(); n != 2 || c != 2 {
		t.Errorf("sink has %d mails over %d connections, want 2 over 2", n, c)
	}
}

func TestAConnectionIdleForLongerThanMaxIdleIsReplaced(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, func(o *mailout.Options) { o.MaxIdle = time.Nanosecond })
	for i := range 2 {
		if err := s.Send(t.Context(), numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := sink.Connections(); n != 2 {
		t.Errorf("%d connections, want a new one per send", n)
	}
}

func TestSenderCanBeReusedAfterClose(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	if err := s.Send(t.Context(), numbered(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), numbered(2)); err != nil {
		t.Fatal(err)
	}
	if n := sink.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestAMailThatCannotBeBuiltFailsPermanentlyWithoutConnecting(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	m := reply()
	m.To[0].Email = "zoe@customer.example>\r\nRCPT TO:<victim@example.com"
	e := deliveryError(t, s.Send(t.Context(), m))
	if e.Temporary || e.Code != 0 {
		t.Errorf("got Temporary %v Code %d (%v), want permanent 0", e.Temporary, e.Code, e)
	}
	if n := sink.Connections(); n != 0 {
		t.Errorf("%d connections for an invalid mail", n)
	}
}

func TestInvalidOptionsFailPermanently(t *testing.T) {
	for _, opts := range []mailout.Options{
		{},
		{Host: "127.0.0.1", TLS: "ssl"},
		{Host: "127.0.0.1", Port: 70000},
	} {
		if err := opts.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", opts)
		}
		e := deliveryError(t, mailout.NewSender(opts).Send(t.Context(), reply()))
		if e.Temporary {
			t.Errorf("options %+v: got a temporary error %v", opts, e)
		}
	}
}

func TestACancelledContextStopsTheSend(t *testing.T) {
	sink := startSink(t, smtpsink.Options{})
	s := newSender(t, sink, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e := deliveryError(t, s.Send(ctx, reply()))
	if !errors.Is(e, context.Canceled) || !e.Temporary {
		t.Errorf("got %v (temporary %v), want a temporary error wrapping context.Canceled", e, e.Temporary)
	}
	if n := len(sink.Mails()); n != 0 {
		t.Errorf("sink received %d mails", n)
	}
}

// BenchmarkSend sends small mails one after the other through one Sender
// to an in-process sink and reports mails/s.
func BenchmarkSend(b *testing.B) {
	sink := startSink(b, smtpsink.Options{})
	s := newSender(b, sink, nil)
	m := &mailout.Mail{
		From:    mailout.Address{Name: "Support", Email: "support@example.com"},
		To:      []mailout.Address{{Email: "customer@example.org"}},
		Subject: "Re: [HD#1] short",
		Headers: map[string]string{"Auto-Submitted": "auto-replied"},
		Text:    "Thanks, we are on it.\n",
	}
	n := 0
	ctx := context.Background()
	for b.Loop() {
		m.MessageID = fmt.Sprintf("hd1.%d@example.com", n)
		if err := s.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "mails/s")
	if got := len(sink.Mails()); got != n {
		b.Fatalf("sink has %d mails, sent %d", got, n)
	}
}

// Where the server offers PIPELINING (go-smtp does), MAIL, both RCPTs
// and DATA go out together. Either way a refused recipient fails the whole mail,
// permanently for 550 and for a while for 450, nothing is delivered to the
// other recipient, and the next mail goes out on a new connection.
func TestARefusedRecipientFailsTheWholeMail(t *testing.T) {
	for _, c := range []struct {
		code       int
		pipelining bool
	}{{550, true}, {450, true}, {550, false}, {450, false}} {
		code := c.code
		t.Run(fmt.Sprintf("%d pipelining %v", c.code, c.pipelining), func(t *testing.T) {
			sink := startSink(t, smtpsink.Options{WithoutPipelining: !c.pipelining})
			s := newSender(t, sink, nil)
			sink.RefuseRecipient("boss@customer.example", code)
			e := deliveryError(t, s.Send(t.Context(), numbered(1)))
			if e.Code != code || e.Temporary != (code < 500) {
				t.Errorf("got Temporary %v Code %d (%v), want %d", e.Temporary, e.Code, e, code)
			}
			if got := sink.Mails(); len(got) != 0 {
				t.Errorf("sink has %d mails after a refused recipient, want none (no mail to the other one either)", len(got))
			}
			sink.RefuseRecipient("boss@customer.example", 0)
			if err := s.Send(t.Context(), numbered(2)); err != nil {
				t.Fatalf("the next mail: %v", err)
			}
			if got := sink.Mails(); len(got) != 1 || !slices.Equal(got[0].To, []string{"zoe@customer.example", "boss@customer.example"}) {
				t.Errorf("sink has %v, want the next mail to both", got)
			}
			if n := sink.Connections(); n != 2 {
				t.Errorf("%d connections, want 2: the connection is dropped after a refusal", n)
			}
		})
	}
}

// A server without PIPELINING gets one command at a time, and the mails.
func TestAServerWithoutPipeliningGetsEveryMail(t *testing.T) {
	sink := startSink(t, smtpsink.Options{WithoutPipelining: true})
	s := newSender(t, sink, nil)
	for i := range 3 {
		if err := s.Send(t.Context(), numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := sink.Mails(); len(got) != 3 || sink.Connections() != 1 {
		t.Errorf("sink has %d mails over %d connections, want 3 over 1", len(got), sink.Connections())
	}
}
