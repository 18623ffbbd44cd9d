//go:build faultinject

package tickets

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// traceFile, when HELPDESK_DELIVERY_TRACE names a file, receives a line
// per event: "unix-nanoseconds pid event recipient outbox-id", each line
// one write(2) on a file opened for appending, which survives a kill -9.
// mailout writes its events to the same file.
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

// traceDelivery writes event for it (see trace.go).
func traceDelivery(event string, it *OutboxItem) {
	f := traceFile()
	if f == nil || len(it.Message.To) == 0 {
		return
	}
	_, _ = f.WriteString(fmt.Sprintf("%d %d %s %s %d\n", time.Now().UnixNano(), os.Getpid(), event, strings.ToLower(it.Message.To[0].Email), it.ID))
}
