// Package web owns the daemon's HTTP side: a small server whose router
// other parts add their pages to (Server.Handle), with the timeouts, body
// limit and security headers every page gets. It serves the pages that
// links in the desk's mails open: for now the satisfaction survey's
// (/csat/{token}, see csat.go).
//
// Every response carries a strict Content-Security-Policy (nothing may be
// loaded, the pages' one inline style sheet by its hash, forms only to
// this server), and must not be framed, sniffed, cached or leak its
// address in a Referer. Pages are plain HTML that work without JavaScript.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Limits of every request.
const (
	// DefaultMaxBodyBytes bounds a request's body unless Options says otherwise.
	DefaultMaxBodyBytes = 64 << 10
	maxHeaderBytes      = 32 << 10
	readHeaderTimeout   = 5 * time.Second
	readTimeout         = 30 * time.Second
	writeTimeout        = 30 * time.Second
	idleTimeout         = 2 * time.Minute
)

// Options configure New.
type Options struct {
	// BaseURL is what links to the server start with, as customers reach
	// it (config http.base_url): "https://help.example.com". A form sent
	// from a page of another origin is refused. Required.
	BaseURL string
	// Surveys rates tickets by survey link; nil serves no survey pages.
	Surveys Surveys
	// Logger receives what happens (default: discarded). Tokens are never
	// logged.
	Logger *slog.Logger
	// MaxBodyBytes bounds the body of a request (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Proxies are the reverse proxies whose word on the client's address
	// counts (ClientIP); none by default.
	Proxies Proxies
}

// Server is the daemon's web server: a router with the headers and limits
// of every page. Add pages with Handle before Serve.
type Server struct {
	mux     *http.ServeMux
	log     *slog.Logger
	base    string // BaseURL without a trailing slash
	origin  string // BaseURL's scheme://host, as browsers send Origin
	maxBody int64
	surveys Surveys
	proxies Proxies
	// bodyLimits are the body limits of pages that take more than
	// maxBody (the forms that carry files), by the pattern they were
	// added with.
	bodyLimits map[string]int64
}

// New returns a server with the survey pages (when Options.Surveys is set).
func New(opts Options) (*Server, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: base URL %q: want an absolute http or https URL", opts.BaseURL)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{
		mux:     http.NewServeMux(),
		log:     opts.Logger,
		base:    strings.TrimRight(opts.BaseURL, "/"),
		origin:  strings.ToLower(u.Scheme + "://" + u.Host),
		maxBody: opts.MaxBodyBytes,
		surveys: opts.Surveys,
		proxies: opts.Proxies,

		bodyLimits: map[string]int64{},
	}
	if s.surveys != nil {
		s.Handle("GET /csat/{token}", http.HandlerFunc(s.surveyPage))
		s.Handle("POST /csat/{token}", http.HandlerFunc(s.surveyRate))
		s.Handle("GET /csat/{token}/thanks", http.HandlerFunc(s.surveyThanks))
	}
	s.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
	}))
	return s, nil
}

// Handle adds a page: pattern as http.ServeMux reads it ("GET /metrics").
// Its responses get the security headers (a handler may replace the
// Content-Security-Policy for its own) and its request bodies the limit.
// Any address no page claims gets the server's 404 page ("/" is taken).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// contentSecurityPolicy allows nothing but the pages' own style sheet and
// forms sent to this server.
var contentSecurityPolicy = "default-src 'none'; style-src '" + styleHash + "'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP routes r with the headers and limits of every page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// The survey's addresses are capabilities: never in a Referer, never
	// in a shared cache.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	limit := s.maxBody
	if _, pattern := s.mux.Handler(r); pattern != "" {
		if n, ok := s.bodyLimits[pattern]; ok {
			limit = n
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	s.mux.ServeHTTP(w, s.withClient(r))
}

// Serve answers requests on ln until ctx ends; then it stops taking
// connections and lets requests in flight finish within grace (closing
// what is left), and returns. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests in flight outlive ctx by the grace period.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	stop, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(stop)
	if err != nil {
		srv.Close()
		err = fmt.Errorf("stopping the http server on %s: %w", ln.Addr(), err)
	}
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// sameOrigin reports whether a form post r comes from a page of this
// server, as far as the browser says: Sec-Fetch-Site, where sent, must be
// same-origin (or none: typed or bookmarked), and Origin, where sent, the
// base URL's. A request with neither (not from a browser that sends them)
// passes: the survey's token in the form is what authorizes it. An Origin
// of "null" passes too: browsers send it for a form of a page whose
// Referrer-Policy is no-referrer, as these pages' is.
func (s *Server) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default: // cross-site, same-site
		return false
	}
	o := r.Header.Get("Origin")
	return o == "" || o == "null" || strings.EqualFold(o, s.origin)
}
