//go:build !faultinject

package mailout

// traceDelivery marks a point of a mail transaction for the fault suite
// (bench/faults): "dot" just before the end of the data goes out, "250"
// the moment the server's reply to it is read. A release build does
// nothing here; the trace is in trace_faultinject.go, built only with
// -tags faultinject.
func traceDelivery(event string, rcpts []string) {}
