//go:build faultinject

package desk

import (
	"os"
	"syscall"
)

// faultEnv names the fault a test binary built with -tags faultinject
// injects; "after-commit" is the only one.
const faultEnv = "HELPDESK_FAULT"

// faultAfterCommit kills the process with SIGKILL when HELPDESK_FAULT is
// "after-commit": the crash of a daemon between the commit of a batch and
// the \Seen flag (or MOVE) that marks it done, as a power cut or the OOM
// killer leaves it. Nothing runs after it: no deferred call, no flush.
func faultAfterCommit() {
	if os.Getenv(faultEnv) != "after-commit" {
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL) // nothing to report to: the process is gone
	select {}                                      // SIGKILL is asynchronous; go no further meanwhile
}
