package chromium

import (
	"errors"
	"fmt"
	"testing"
)

type recorder struct {
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = fmt.Sprint(args...) }
func (r *recorder) Skip(args ...any)  { r.skip = fmt.Sprint(args...) }
func (r *recorder) TempDir() string   { return "" }
func (r *recorder) Cleanup(func())    {}

func TestWithoutChromiumTestsSkipButFailUnderCI(t *testing.T) {
	missing := errors.New("no Chromium here")
	var r recorder
	require(&r, missing, "")
	if r.skip == "" || r.fatal != "" {
		t.Errorf("outside CI: skip %q, fatal %q; want a skip", r.skip, r.fatal)
	}
	r = recorder{}
	require(&r, missing, "true")
	if r.fatal == "" || r.skip != "" {
		t.Errorf("under CI=true: skip %q, fatal %q; want a failure", r.skip, r.fatal)
	}
	r = recorder{}
	require(&r, nil, "true")
	if r.fatal != "" || r.skip != "" {
		t.Errorf("with Chromium: skip %q, fatal %q; want neither", r.skip, r.fatal)
	}
}
