package triage

import (
	"fmt"
	"slices"
	"strings"
)

// The levels of impact and urgency.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

var (
	levels     = []string{High, Medium, Low}
	priorities = []string{"P1", "P2", "P3", "P4"}
)

// Levels returns the levels of impact and urgency, highest first.
func Levels() []string { return slices.Clone(levels) }

// Priorities returns the priorities, most pressing first: P1 to P4.
func Priorities() []string { return slices.Clone(priorities) }

// Matrix is the impact × urgency matrix that gives a ticket its priority,
// P1 (most pressing) to P4. Each row is an impact; within it, each field is
// an urgency.
type Matrix struct {
	// High, Medium and Low are the rows of impact high, medium and low.
	High, Medium, Low Row
	// Default is the priority of a ticket that neither a rule nor a header
	// gave an impact or urgency.
	Default string
}

// Row is one impact's row of the matrix: the priority for each urgency.
type Row struct {
	High, Medium, Low string
}

// DefaultMatrix returns the matrix of a desk that sets none:
//
//	impact \ urgency  high  medium  low
//	high              P1    P2      P3
//	medium            P2    P3      P3
//	low               P3    P4      P4
//
// and P3 when neither impact nor urgency is known.
func DefaultMatrix() Matrix {
	return Matrix{
		High:    Row{High: "P1", Medium: "P2", Low: "P3"},
		Medium:  Row{High: "P2", Medium: "P3", Low: "P3"},
		Low:     Row{High: "P3", Medium: "P4", Low: "P4"},
		Default: "P3",
	}
}

// Of returns the priority for impact and urgency, each High, Medium or Low;
// "" when either is not one of those.
func (m Matrix) Of(impact, urgency string) string {
	var row Row
	switch impact {
	case High:
		row = m.High
	case Medium:
		row = m.Medium
	case Low:
		row = m.Low
	default:
		return ""
	}
	switch urgency {
	case High:
		return row.High
	case Medium:
		return row.Medium
	case Low:
		return row.Low
	}
	return ""
}

// check refuses a cell that is not a priority.
func (m Matrix) check() error {
	for _, impact := range levels {
		for _, urgency := range levels {
			if p := m.Of(impact, urgency); !slices.Contains(priorities, p) {
				return fmt.Errorf("impact %s, urgency %s: %q is not one of %s", impact, urgency, p, strings.Join(priorities, ", "))
			}
		}
	}
	if !slices.Contains(priorities, m.Default) {
		return fmt.Errorf("default: %q is not one of %s", m.Default, strings.Join(priorities, ", "))
	}
	return nil
}
