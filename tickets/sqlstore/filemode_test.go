package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mode returns the permission bits of path, failing when it is missing.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// written opens the store at path and writes, so that SQLite creates the
// -wal and -shm files beside it.
func written(t *testing.T, path string) *Store {
	t.Helper()
	s := open(t, path)
	if err := s.MailboxCursors().SaveState(context.Background(), "support", 1, 1); err != nil {
		t.Fatal(err)
	}
	return s
}

// The database holds every customer's raw mail: no one but its owner may
// read it, whatever the umask.
func TestANewDatabaseIsReadableByItsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "hd.db")
	written(t, path)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), m)
		}
	}
}

func TestAnExistingDatabaseOpenToOthersIsClosedToThem(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "hd.db")
	s := written(t, path)
	s.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	written(t, path)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(t, p); m&0o007 != 0 || m&0o600 != 0o600 {
			t.Errorf("%s has mode %#o, want nothing for others and the owner's read and write kept", filepath.Base(p), m)
		}
	}
	// A mode the admin chose for the owner's group stays.
	if err := os.Chmod(path, 0o660); err != nil {
		t.Fatal(err)
	}
	written(t, path)
	if m := mode(t, path); m != 0o660 {
		t.Errorf("mode %#o, want the admin's 0660 kept", m)
	}
}
