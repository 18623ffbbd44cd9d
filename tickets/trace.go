//go:build !faultinject

package tickets

// traceDelivery marks a point of an outbox item's delivery for the fault
// suite (bench/faults): "noted" once its delivery note is written. A
// release build does nothing here; the trace is in trace_faultinject.go,
// built only with -tags faultinject.
func traceDelivery(event string, it *OutboxItem) {}
