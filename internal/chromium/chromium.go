// Package chromium runs a real headless Chromium (Debian's chromium
// package) for tests of the pages the daemon serves, through chromedp.
// Each browser gets a fresh profile folder and the flags that keep it
// from reaching the internet (see ../shared/RECIPES.md of the project).
//
// Tests call Require first: it skips them, saying why, when no Chromium
// is installed, but fails them under CI=true, where a browser that could
// not be installed must turn the run red (as internal/dovecot does).
package chromium

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/chromedp/chromedp"
)

// paths are where distributions install Chromium, tried after $PATH.
var paths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"}

// Path returns the Chromium binary, or why there is none.
func Path() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium here (install Debian's chromium package: apt-get install -y chromium)")
}

// TB is the part of testing.TB that Require uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Skip(args ...any)
	TempDir() string
	Cleanup(func())
}

// Require skips t when Chromium is not installed, or fails it under CI=true.
func Require(t TB) {
	t.Helper()
	_, err := Path()
	require(t, err, os.Getenv("CI"))
}

func require(t TB, unavailable error, ci string) {
	t.Helper()
	if unavailable == nil {
		return
	}
	if on, _ := strconv.ParseBool(ci); on {
		t.Fatal(fmt.Sprintf("CI=%s: the browser tests must run here, but %v", ci, unavailable))
		return
	}
	t.Skip(unavailable)
}

// New starts a headless Chromium (after Require) with a fresh profile in
// one of t's folders, and returns a chromedp context of its first tab.
// The browser ends with t.
func New(t TB) context.Context {
	t.Helper()
	Require(t)
	path, _ := Path()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// Text returns the text of the first element that the CSS selector sel
// matches in ctx's tab, and fails t when there is none.
func Text(t TB, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(fmt.Sprintf("reading %s: %v", sel, err))
	}
	return v
}

// Eval returns the string that the JavaScript js evaluates to in ctx's
// tab, and fails t when it does not.
func Eval(t TB, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatal(fmt.Sprintf("%s: %v", js, err))
	}
	return v
}
