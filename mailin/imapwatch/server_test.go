package imapwatch

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// Test credentials. The logs of every test are checked for the password and
// the token.
const (
	testUser     = "support"
	testPassword = "pass-s3cr3t-word"
	testToken    = "tok-s3cr3t-123"
)

// serverConfig shapes a test IMAP server.
type serverConfig struct {
	caps        imap.CapSet // nil: IMAP4rev1 + IMAP4rev2
	implicitTLS bool        // the listener speaks TLS
	startTLS    bool        // STARTTLS offered
}

// testServer is imapserver + imapmemserver on 127.0.0.1, with a session
// that also speaks XOAUTH2 and OAUTHBEARER and reports when it enters IDLE.
type testServer struct {
	t    testing.TB
	cfg  serverConfig
	user *imapmemserver.User
	cert tls.Certificate
	host string
	port int

	mu     sync.Mutex
	srv    *imapserver.Server
	idling chan struct{} // one value per IDLE command entered

	logMu  sync.Mutex
	logOff bool

	// beforeFetch, when set, runs once at the start of the next FETCH.
	beforeFetch atomic.Pointer[func()]
	// dropIdle makes the server say BYE and hang up when IDLE starts.
	dropIdle atomic.Bool
	// throttle, when set, pauses the server for that long after every
	// throttleChunk bytes it writes: a slow link.
	throttle atomic.Int64

	faultMu sync.Mutex
	faults  map[uint32]fault // by UID, in INBOX and every folder
	fetches []fetchRecord
}

// fault is how the server fails to serve one mail.
type fault int

const (
	faultNone fault = iota
	// faultRefuse answers a FETCH that names the mail with NO, after the
	// data of the other mails (Gmail: "Some messages could not be
	// FETCHed").
	faultRefuse
	// faultNoBody answers without the body (Exchange sends BODY[] NIL for
	// a corrupt item).
	faultNoBody
)

// fetchRecord is one FETCH the server was asked for.
type fetchRecord struct {
	uids    []uint32 // nil for a set with "*"
	body    bool
	partial *imap.SectionPartial
}

// setFault makes the server fail uid in the given way (faultNone repairs it).
func (ts *testServer) setFault(uid uint32, f fault) {
	ts.faultMu.Lock()
	defer ts.faultMu.Unlock()
	if ts.faults == nil {
		ts.faults = make(map[uint32]fault)
	}
	ts.faults[uid] = f
}

func (ts *testServer) faultOf(uid uint32) fault {
	ts.faultMu.Lock()
	defer ts.faultMu.Unlock()
	return ts.faults[uid]
}

func (ts *testServer) fetchLog() []fetchRecord {
	ts.faultMu.Lock()
	defer ts.faultMu.Unlock()
	return slices.Clone(ts.fetches)
}

func startServer(t testing.TB, cfg serverConfig) *testServer {
	t.Helper()
	user := imapmemserver.NewUser(testUser, testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, cfg: cfg, user: user, cert: selfSignedCert(t), idling: make(chan struct{}, 100)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ts.host, ts.port = "127.0.0.1", addr.Port
	ts.serve(ln)
	t.Cleanup(func() {
		ts.stop()
		ts.logMu.Lock()
		ts.logOff = true
		ts.logMu.Unlock()
	})
	return ts
}

func (ts *testServer) addr() string { return net.JoinHostPort(ts.host, strconv.Itoa(ts.port)) }

func (ts *testServer) serve(ln net.Listener) {
	caps := ts.cfg.caps
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{ts.cert}}
	opts := &imapserver.Options{
		NewSession: func(conn *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &testSession{ts: ts, conn: conn}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       ts,
	}
	if ts.cfg.startTLS {
		opts.TLSConfig = tlsConfig
	}
	ln = throttledListener{ln, ts}
	if ts.cfg.implicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	srv := imapserver.New(opts)
	ts.mu.Lock()
	ts.srv = srv
	ts.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection.
func (ts *testServer) stop() {
	ts.mu.Lock()
	srv := ts.srv
	ts.srv = nil
	ts.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// restart listens again on the same port, with the same mail.
func (ts *testServer) restart() {
	ts.t.Helper()
	ln, err := net.Listen("tcp", ts.addr())
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.serve(ln)
}

// Printf logs for the imapserver until the test ends.
func (ts *testServer) Printf(format string, args ...any) {
	ts.logMu.Lock()
	defer ts.logMu.Unlock()
	if !ts.logOff {
		ts.t.Logf("imapserver: "+format, args...)
	}
}

// throttleChunk is how many bytes a throttled server writes between pauses.
const throttleChunk = 32 << 10

// throttledListener hands out connections that write slowly while
// testServer.throttle is set.
type throttledListener struct {
	net.Listener
	ts *testServer
}

func (l throttledListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &throttledConn{Conn: c, ts: l.ts}, nil
}

type throttledConn struct {
	net.Conn
	ts      *testServer
	written int
}

func (c *throttledConn) Write(p []byte) (int, error) {
	pause := time.Duration(c.ts.throttle.Load())
	if pause == 0 {
		return c.Conn.Write(p)
	}
	n := 0
	for len(p) > 0 {
		chunk := min(len(p), throttleChunk-c.written)
		m, err := c.Conn.Write(p[:chunk])
		n += m
		if err != nil {
			return n, err
		}
		p = p[chunk:]
		if c.written += chunk; c.written == throttleChunk {
			c.written = 0
			time.Sleep(pause)
		}
	}
	return n, nil
}

// testSession is an imapmemserver session for testUser.
type testSession struct {
	*imapmemserver.UserSession
	ts   *testServer
	conn *imapserver.Conn
}

func (s *testSession) Login(username, password string) error {
	if err := s.ts.user.Login(username, password); err != nil {
		return err
	}
	s.UserSession = imapmemserver.NewUserSession(s.ts.user)
	return nil
}

func (s *testSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

func (s *testSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.ts.idling <- struct{}{}:
	default:
	}
	if s.ts.dropIdle.Load() {
		s.conn.Bye("idle is not allowed here")
		return errors.New("idle refused")
	}
	return s.UserSession.Idle(w, stop)
}

// Fetch serves the mails of numSet, except that a mail with a fault makes
// the server fail the way that fault says.
func (s *testSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if hook := s.ts.beforeFetch.Swap(nil); hook != nil {
		(*hook)()
	}
	set, ok := numSet.(imap.UIDSet)
	var uids []imap.UID
	if ok {
		uids, ok = set.Nums()
	}
	var rec fetchRecord
	for _, uid := range uids {
		rec.uids = append(rec.uids, uint32(uid))
	}
	for _, bs := range options.BodySection {
		rec.body = true
		rec.partial = bs.Partial
	}
	s.ts.faultMu.Lock()
	s.ts.fetches = append(s.ts.fetches, rec)
	s.ts.faultMu.Unlock()
	if !ok {
		return s.UserSession.Fetch(w, numSet, options)
	}
	var good, refused, bodiless imap.UIDSet
	for _, uid := range uids {
		switch s.ts.faultOf(uint32(uid)) {
		case faultRefuse:
			refused.AddNum(uid)
		case faultNoBody:
			bodiless.AddNum(uid)
		default:
			good.AddNum(uid)
		}
	}
	if len(good) > 0 {
		if err := s.UserSession.Fetch(w, good, options); err != nil {
			return err
		}
	}
	if len(bodiless) > 0 {
		noBody := *options
		noBody.BodySection = nil
		if err := s.UserSession.Fetch(w, bodiless, &noBody); err != nil {
			return err
		}
	}
	if len(refused) > 0 {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "Some messages could not be FETCHed (Failure)"}
	}
	return nil
}

func (s *testSession) AuthenticateMechanisms() []string {
	return []string{"PLAIN", "XOAUTH2", sasl.OAuthBearer}
}

func (s *testSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(identity, username, password string) error {
			return s.Login(username, password)
		}), nil
	case "XOAUTH2":
		return &xoauth2Server{login: s.tokenLogin}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(opts sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			if s.tokenLogin(opts.Username, opts.Token) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *testSession) tokenLogin(username, token string) error {
	if username != testUser || token != testToken {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.ts.user)
	return nil
}

// xoauth2Server is the server side of XOAUTH2: a refused token gets a JSON
// challenge, and the client's answer to it ends the exchange with NO.
type xoauth2Server struct {
	login  func(username, token string) error
	failed bool
}

func (a *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if a.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if response == nil {
		return []byte{}, false, nil
	}
	var user, token string
	for _, field := range strings.Split(string(response), "\x01") {
		if v, ok := strings.CutPrefix(field, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(field, "auth=Bearer "); ok {
			token = v
		}
	}
	if a.login(user, token) != nil {
		a.failed = true
		challenge, _ := json.Marshal(map[string]string{"status": "401", "schemes": "bearer"})
		return challenge, false, nil
	}
	return nil, true, nil
}

func selfSignedCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// client logs a test client in, for appending mail and looking at flags.
func (ts *testServer) client(t testing.TB) *imapclient.Client {
	t.Helper()
	var c *imapclient.Client
	var err error
	opts := &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	switch {
	case ts.cfg.implicitTLS:
		c, err = imapclient.DialTLS(ts.addr(), opts)
	case ts.cfg.startTLS:
		c, err = imapclient.DialStartTLS(ts.addr(), opts)
	default:
		c, err = imapclient.DialInsecure(ts.addr(), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// testMail is a small message with the given Message-ID.
func testMail(id string) []byte {
	return []byte("From: Customer <customer@example.com>\r\n" +
		"To: support@example.com\r\n" +
		"Subject: Help with " + id + "\r\n" +
		"Message-ID: <" + id + "@example.com>\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		"\r\n" +
		"Please help, " + id + ".\r\n")
}

// bigMail is a message with the given Message-ID, exactly size bytes long.
func bigMail(id string, size int) []byte {
	head := testMail(id)
	head = head[:bytes.Index(head, []byte("\r\n\r\n"))+4]
	raw := slices.Grow(head, size-len(head))
	line := []byte(strings.Repeat("x", 76) + "\r\n")
	for len(raw) < size {
		raw = append(raw, line[:min(len(line), size-len(raw))]...)
	}
	return raw
}

// appendMail appends testMail(id) over IMAP and returns its UID.
func appendMail(t testing.TB, c *imapclient.Client, folder, id string, flags ...imap.Flag) uint32 {
	t.Helper()
	return appendRaw(t, c, folder, testMail(id), flags...)
}

// appendRaw appends raw over IMAP and returns its UID.
func appendRaw(t testing.TB, c *imapclient.Client, folder string, raw []byte, flags ...imap.Flag) uint32 {
	t.Helper()
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return uint32(data.UID)
}

// appendDirect puts a mail into the memory store without IMAP (the server
// may be down).
func (ts *testServer) appendDirect(t testing.TB, folder, id string) {
	t.Helper()
	raw := testMail(id)
	if _, err := ts.user.Append(folder, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type literal struct {
	io.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

// serverMail is what the server holds for one message.
type serverMail struct {
	uid  uint32
	seen bool
}

// folderContents maps Message-ID (without brackets) to what the server holds.
func folderContents(t testing.TB, c *imapclient.Client, folder string) map[string]serverMail {
	t.Helper()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]serverMail)
	for _, m := range msgs {
		seen := false
		for _, f := range m.Flags {
			seen = seen || f == imap.FlagSeen
		}
		got[strings.TrimSuffix(m.Envelope.MessageID, "@example.com")] = serverMail{uid: uint32(m.UID), seen: seen}
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	return got
}

// recorder is a Handler that stores mails in memory and dedupes them by
// Message-ID, like the real one does in its database.
type recorder struct {
	mu         sync.Mutex
	stored     map[string]int // Message-ID → times stored (must stay 1)
	deliveries map[string]int // Message-ID → times handed over
	batches    int
	mails      []Mail
	// hook, when set, runs before the batch is stored and may fail it.
	hook func(ctx context.Context, call int, mails []Mail) ([]error, error)
}

func newRecorder() *recorder {
	return &recorder{stored: make(map[string]int), deliveries: make(map[string]int)}
}

func (r *recorder) HandleBatch(ctx context.Context, mailbox string, mails []Mail) ([]error, error) {
	r.mu.Lock()
	r.batches++
	call := r.batches
	hook := r.hook
	r.mu.Unlock()
	errs := make([]error, len(mails))
	if hook != nil {
		hookErrs, err := hook(ctx, call, mails)
		if err != nil {
			return nil, err
		}
		if hookErrs != nil {
			errs = hookErrs
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range mails {
		id := messageID(m.Raw)
		r.deliveries[id]++
		if errs[i] != nil {
			continue
		}
		if r.stored[id] == 0 {
			r.mails = append(r.mails, m)
		}
		r.stored[id] = 1 // dedupe: a second delivery stores nothing
	}
	return errs, nil
}

func (r *recorder) storedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stored)
}

func (r *recorder) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stored[id] > 0
}

func (r *recorder) batchCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batches
}

func (r *recorder) deliveriesOf(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deliveries[id]
}

func messageID(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "unparseable"
	}
	id := strings.Trim(m.Header.Get("Message-ID"), "<>")
	return strings.TrimSuffix(id, "@example.com")
}

// memState is a State in memory.
type memState struct {
	mu    sync.Mutex
	boxes map[string][2]uint32
	saves int
}

func newMemState() *memState { return &memState{boxes: make(map[string][2]uint32)} }

func (s *memState) LoadState(ctx context.Context, mailbox string) (uint32, uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.boxes[mailbox]
	return v[0], v[1], nil
}

func (s *memState) SaveState(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boxes[mailbox] = [2]uint32{uidValidity, lastUID}
	s.saves++
	return nil
}

func (s *memState) get(mailbox string) (uidValidity, lastUID uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.boxes[mailbox]
	return v[0], v[1]
}

// logBuffer collects a test's log; at the end it must hold no secret, and a
// failed test prints it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLog(t testing.TB) (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	t.Cleanup(func() {
		out := b.String()
		for _, secret := range []string{testPassword, testToken} {
			if strings.Contains(out, secret) {
				t.Errorf("the log contains the secret %q", secret)
			}
		}
		if t.Failed() {
			t.Logf("log:\n%s", out)
		}
	})
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// options returns Options for ts with a fast backoff.
func (ts *testServer) options(t testing.TB, h Handler, st State) Options {
	logger, _ := testLog(t)
	tlsMode := TLSNone
	switch {
	case ts.cfg.implicitTLS:
		tlsMode = TLSImplicit
	case ts.cfg.startTLS:
		tlsMode = TLSStartTLS
	}
	return Options{
		Name:               "support",
		Host:               ts.host,
		Port:               ts.port,
		TLS:                tlsMode,
		InsecureSkipVerify: true,
		Username:           testUser,
		Password:           testPassword,
		IDLE:               true,
		PollInterval:       time.Hour, // tests that poll say so
		Handler:            h,
		State:              st,
		Logger:             logger,
		Backoff:            func(int) time.Duration { return 5 * time.Millisecond },
	}
}

// start runs w until the test ends; Run must then return nil.
func start(t testing.TB, w *Watcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually waits up to 20s for cond; the limit only stops a hung test.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i+1)
	}
	return out
}
