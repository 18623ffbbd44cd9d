package desk_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// builds holds the helpdesk binaries built for this test run, by build tags.
var builds struct {
	sync.Mutex
	dir  string
	bins map[string]string
}

// helpdeskBinary builds cmd/helpdesk with tags ("" for the release build)
// once per test run and returns its path.
func helpdeskBinary(t *testing.T, tags string) string {
	t.Helper()
	builds.Lock()
	defer builds.Unlock()
	if bin, ok := builds.bins[tags]; ok {
		return bin
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "helpdesk-bin-")
		if err != nil {
			t.Fatal(err)
		}
		builds.dir, builds.bins = dir, map[string]string{}
	}
	bin := filepath.Join(builds.dir, "helpdesk-"+strings.NewReplacer(",", "-", " ", "-").Replace(tags))
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, "helpdesk/cmd/helpdesk")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %q: %v\n%s", tags, err, out)
	}
	builds.bins[tags] = bin
	return bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	if err := migratedPostgres.Drop(); err != nil {
		fmt.Fprintf(os.Stderr, "dropping the template database: %v\n", err)
	}
	os.Exit(code)
}

// process is `helpdesk run` as a process of its own.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited and been waited for
}

// startProcess runs bin as the daemon with dm's config and the extra
// environment env; its log goes to the test's log.
func (dm *daemon) startProcess(bin string, env ...string) *process {
	dm.t.Helper()
	return dm.startProcessArgs(bin, nil, env...)
}

// startProcessArgs is startProcess with more flags for `helpdesk run`.
func (dm *daemon) startProcessArgs(bin string, flags []string, env ...string) *process {
	dm.t.Helper()
	path := filepath.Join(dm.t.TempDir(), "helpdesk.toml")
	if err := os.WriteFile(path, []byte(dm.toml), 0o600); err != nil {
		dm.t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"run", "--config", path, "--grace", "5s"}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = testWriter{dm.t}, testWriter{dm.t}
	// A test binary that dies takes the daemon with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		dm.t.Fatal(err)
	}
	p := &process{t: dm.t, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		close(p.done)
	}()
	dm.t.Cleanup(func() {
		_ = cmd.Process.Kill() // already gone is fine
		<-p.done
	})
	return p
}

// wait waits for the process to end by itself and returns how it ended.
func (p *process) wait() syscall.WaitStatus {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatal("the daemon did not end within 30s")
	}
	return p.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// stop sends SIGTERM, as systemd does, and expects a clean exit.
func (p *process) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	if ws := p.wait(); ws.Signaled() || ws.ExitStatus() != 0 {
		p.t.Errorf("after SIGTERM the daemon ended with %v, want exit 0", p.cmd.ProcessState)
	}
}
