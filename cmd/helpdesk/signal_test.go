package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real binary stops cleanly on SIGTERM: what systemd sends.
func TestBinaryStopsCleanlyOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "helpdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "demo", "--dir", t.TempDir(), "--imap", "127.0.0.1:0", "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	answered := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "sent the acknowledgement of HD#1002") {
				answered <- true
			}
		}
		answered <- false
	}()
	select {
	case ok := <-answered:
		if !ok {
			t.Fatal("the demo ended before answering its customers")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the demo did not answer its customers within 60s")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM the process ended with %v, want exit 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the process did not stop within 15s of SIGTERM")
	}
}
