// Package admin serves the admin's pages of the daemon's web server: the
// dashboard of the report's figures, the tickets, the quarantine, the
// outbox and the templates, all read-only, to admins only.
//
// An admin is let in by a name and password of the config (the password
// kept there as a bcrypt hash), or by the admin token: in an
// "Authorization: Bearer" header (scripts), or typed once on the login
// page. A login sets a session cookie, signed with a key of the desk,
// HttpOnly and SameSite=Strict, valid for twelve hours. Anyone else gets
// 401, or a browser the login page. The only requests that change
// anything are the login and the logout, both POSTs that must come from a
// page of the desk (Origin and Sec-Fetch-Site are checked, and the logout
// carries a token of its session).
package admin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"helpdesk/tickets"
	"helpdesk/web"
)

// Source is what the pages read: the desk.
type Source interface {
	Report(ctx context.Context, opts tickets.ReportOptions) (*tickets.Report, error)
	ListTickets(ctx context.Context, f tickets.TicketFilter) ([]tickets.Ticket, error)
	Detail(ctx context.Context, id int64) (*tickets.Detail, error)
	QuarantineList(ctx context.Context) ([]tickets.Quarantined, error)
	Outbox(ctx context.Context, f tickets.OutboxFilter) ([]tickets.OutboxItem, error)
	// Previews renders every mail template with sample data.
	Previews() ([]Preview, error)
	// Ref is a ticket's reference, "HD#1042".
	Ref(id int64) string
}

// Preview is a template rendered with sample data.
type Preview struct {
	Name, Subject, Text, HTML string
}

// Options configure the pages.
type Options struct {
	Source Source
	// Users are the admins who log in with a password: name -> bcrypt hash.
	Users map[string]string
	// Token lets in whoever presents it; "" turns it off.
	Token string
	// SessionKey signs the session cookies (32 bytes or more).
	SessionKey []byte
	// Secure marks the cookies Secure: the desk is served over HTTPS.
	Secure bool
	// Title names the desk on every page.
	Title string
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Handler serves the admin pages.
type Handler struct {
	opts     Options
	mux      *http.ServeMux
	failures *failureLimit
}

// sessionFor is how long a login lasts.
const sessionFor = 12 * time.Hour

const cookieName = "helpdesk_admin"

// New checks opts and builds the pages. It refuses a configuration that
// lets nobody in, or a session key too short to sign with.
func New(opts Options) (*Handler, error) {
	if opts.Source == nil {
		return nil, errors.New("admin pages: no source")
	}
	if len(opts.Users) == 0 && opts.Token == "" {
		return nil, errors.New("admin pages: no admin user and no admin token: nobody could log in")
	}
	for name, hash := range opts.Users {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("admin pages: the password of %q is not a bcrypt hash (make one with `helpdesk admin hash-password`)", name)
		}
	}
	if len(opts.SessionKey) < 32 {
		return nil, errors.New("admin pages: the session key is shorter than 32 bytes")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Title == "" {
		opts.Title = "helpdesk"
	}
	h := &Handler{opts: opts, mux: http.NewServeMux(), failures: &failureLimit{max: 10, window: time.Minute, seen: map[string][]time.Time{}}}
	// Patterns lists these for the server that mounts the pages.
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.Handle("POST /logout", h.admin(h.logout))
	h.mux.Handle("GET /{$}", h.admin(h.dashboard))
	h.mux.Handle("GET /tickets", h.admin(h.ticketList))
	h.mux.Handle("GET /tickets/{id}", h.admin(h.ticketPage))
	h.mux.Handle("GET /quarantine", h.admin(h.quarantinePage))
	h.mux.Handle("GET /outbox", h.admin(h.outboxPage))
	h.mux.Handle("GET /templates", h.admin(h.templatesPage))
	return h, nil
}

// Patterns are the addresses of the pages, as http.ServeMux reads them:
// the server that serves them routes each of these to the Handler.
func (h *Handler) Patterns() []string {
	return []string{"GET /login", "POST /login", "POST /logout", "GET /{$}", "GET /tickets", "GET /tickets/{id}",
		"GET /quarantine", "GET /outbox", "GET /templates"}
}

// Protect lets only admins through to next (a machine's page such as
// /metrics): the admin token as a bearer, or an admin's session.
func (h *Handler) Protect(next http.Handler) http.Handler { return h.admin(next.ServeHTTP) }

// ServeHTTP serves the pages, each with headers that keep it from being
// framed, cached or mixed with anything from elsewhere.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// who is the admin a request comes from: a name, "token", or "".
func (h *Handler) who(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "Bearer") && h.tokenMatches(strings.TrimSpace(token)) {
			return "token"
		}
		return ""
	}
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	name, ok := h.openSession(c.Value)
	if !ok {
		return ""
	}
	return name
}

func (h *Handler) tokenMatches(token string) bool {
	if h.opts.Token == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(h.opts.Token)) == 1
}

type adminKey struct{}

// admin lets an admin through to next; refuses anyone else: a browser
// asking for a page is sent to the login page, anything else gets 401.
func (h *Handler) admin(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := h.who(r)
		if name == "" {
			if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") && r.Header.Get("Authorization") == "" {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="helpdesk admin"`)
			http.Error(w, "401 unauthorized: log in at /login, or send the admin token as Authorization: Bearer", http.StatusUnauthorized)
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), adminKey{}, name)))
	})
}

// session is "name|expiry|mac", base64url.
func (h *Handler) newSession(name string) string {
	payload := name + "|" + strconv.FormatInt(h.opts.Now().Add(sessionFor).Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload + "|" + h.mac("session", payload)))
}

func (h *Handler) openSession(v string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return "", false
	}
	i := strings.LastIndexByte(string(raw), '|')
	if i < 0 {
		return "", false
	}
	payload, mac := string(raw[:i]), string(raw[i+1:])
	if !hmac.Equal([]byte(mac), []byte(h.mac("session", payload))) {
		return "", false
	}
	name, exp, ok := strings.Cut(payload, "|")
	if !ok {
		return "", false
	}
	until, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || h.opts.Now().Unix() >= until {
		return "", false
	}
	// A user taken out of the config is out, whatever their cookie says.
	if _, still := h.opts.Users[name]; !still && name != "token" {
		return "", false
	}
	if name == "token" && h.opts.Token == "" {
		return "", false
	}
	return name, true
}

func (h *Handler) mac(purpose, payload string) string {
	m := hmac.New(sha256.New, h.opts.SessionKey)
	m.Write([]byte("helpdesk admin " + purpose + "\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken is the logout form's token: bound to the session cookie.
func (h *Handler) csrfToken(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return h.mac("csrf", c.Value)
}

// sameOrigin reports whether a POST comes from a page of this server.
// Browsers mark every request with Sec-Fetch-Site, which must say
// same-origin; their Origin is then "null" under the pages'
// no-referrer policy. A browser without Sec-Fetch-Site sends an Origin,
// which must be this server's. A client that sends neither is no browser,
// and cannot carry another site's cookies.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login", loginView{Next: safeNext(r.URL.Query().Get("next")), Password: len(h.opts.Users) > 0, Token: h.opts.Token != ""})
}

type loginView struct {
	Next            string
	Password, Token bool
	Problem         string
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		http.Error(w, "403 forbidden: a login must come from the login page", http.StatusForbidden)
		return
	}
	client := web.ClientIP(r)
	if !h.failures.allow(client, h.opts.Now()) {
		http.Error(w, "429 too many failed logins: wait a minute", http.StatusTooManyRequests)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "400 bad request", http.StatusBadRequest)
		return
	}
	view := loginView{Next: safeNext(r.PostForm.Get("next")), Password: len(h.opts.Users) > 0, Token: h.opts.Token != ""}
	name := ""
	if token := r.PostForm.Get("token"); token != "" {
		if h.tokenMatches(token) {
			name = "token"
		}
	} else if user := r.PostForm.Get("user"); user != "" {
		// The hash is checked even for an unknown name, so that the time
		// taken does not tell which names exist.
		hash, ok := h.opts.Users[user]
		if !ok {
			hash = dummyHash()
		}
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(r.PostForm.Get("password"))) == nil && ok {
			name = user
		}
	}
	if name == "" {
		h.failures.add(client, h.opts.Now())
		h.opts.Logger.Warn("admin login refused", slog.String("client", client))
		view.Problem = "That did not match. Try again."
		h.render(w, r, http.StatusUnauthorized, "login", view)
		return
	}
	h.opts.Logger.Info("admin logged in", slog.String("admin", name), slog.String("client", client))
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: h.newSession(name), Path: "/", HttpOnly: true,
		Secure: h.opts.Secure, SameSite: http.SameSiteStrictMode, MaxAge: int(sessionFor / time.Second)})
	http.Redirect(w, r, view.Next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !sameOrigin(r) || r.ParseForm() != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(h.csrfToken(r))) || h.csrfToken(r) == "" {
		http.Error(w, "403 forbidden: a logout must come from a page of the desk", http.StatusForbidden)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: h.opts.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a redirect after login on this server: a path, never
// another host ("//evil.example", "https://…").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// dummyHash is checked against when the name is unknown: a bcrypt hash
// of a random password, made once.
var dummyHash = sync.OnceValue(func() string {
	hash, err := bcrypt.GenerateFromPassword([]byte(strconv.FormatInt(time.Now().UnixNano(), 36)), bcrypt.DefaultCost)
	if err != nil {
		panic(err) // only for a cost out of range
	}
	return string(hash)
})

// failureLimit counts failed logins per client.
type failureLimit struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string][]time.Time
}

func (f *failureLimit) allow(client string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	recent := f.seen[client][:0]
	for _, t := range f.seen[client] {
		if now.Sub(t) < f.window {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(f.seen, client)
	} else {
		f.seen[client] = recent
	}
	return len(recent) < f.max
}

func (f *failureLimit) add(client string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen[client] = append(f.seen[client], now)
}
