package triage

import "testing"

func TestTheDefaultMatrixHasEveryCell(t *testing.T) {
	m := DefaultMatrix()
	for _, tc := range []struct{ impact, urgency, want string }{
		{"high", "high", "P1"}, {"high", "medium", "P2"}, {"high", "low", "P3"},
		{"medium", "high", "P2"}, {"medium", "medium", "P3"}, {"medium", "low", "P3"},
		{"low", "high", "P3"}, {"low", "medium", "P4"}, {"low", "low", "P4"},
		{"", "high", ""}, {"high", "urgent", ""},
	} {
		if got := m.Of(tc.impact, tc.urgency); got != tc.want {
			t.Errorf("Of(%q, %q) = %q, want %q", tc.impact, tc.urgency, got, tc.want)
		}
	}
	if m.Default != "P3" {
		t.Errorf("Default = %q, want P3", m.Default)
	}
}
