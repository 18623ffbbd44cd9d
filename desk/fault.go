//go:build !faultinject

package desk

// faultAfterCommit marks the point where the crash tests kill the daemon:
// a batch of mail is committed, nothing after it has happened yet (no
// \Seen or MOVE on the server, no wake-up of the outbox sender). A normal
// build does nothing here; the hook is in faultinject.go, built only with
// -tags faultinject, so no release binary can hold it.
func faultAfterCommit() {}
