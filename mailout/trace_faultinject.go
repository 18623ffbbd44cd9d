//go:build faultinject

package mailout

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// traceFile, when HELPDESK_DELIVERY_TRACE names a file, receives a line
// per event: "unix-nanoseconds pid event recipient". Each line is one
// write(2) on a file opened for appending: in the kernel's hands at once,
// so the lines written before a kill -9 survive it.
var traceFile = sync.OnceValue(func() *os.File {
	path := os.Getenv("HELPDESK_DELIVERY_TRACE")
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil
	}
	return f
})

// traceDelivery writes event for the first recipient (see trace.go).
func traceDelivery(event string, rcpts []string) {
	f := traceFile()
	if f == nil || len(rcpts) == 0 {
		return
	}
	_, _ = f.WriteString(fmt.Sprintf("%d %d %s %s\n", time.Now().UnixNano(), os.Getpid(), event, strings.ToLower(strings.Trim(rcpts[0], "<>"))))
}
