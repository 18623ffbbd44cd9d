package tickets

import "testing"

func TestSurveyAnswersAreADigitOnTheFirstLine(t *testing.T) {
	for _, tc := range []struct {
		text    string
		rating  int
		comment string
		ok      bool
	}{
		{"5", 5, "", true},
		{"  4\n\nQuick and friendly.", 4, "Quick and friendly.", true},
		{"5 - great service!", 5, "great service!", true},
		{"3/5 took a while", 3, "took a while", true},
		{"1. Nobody read my mail.", 1, "Nobody read my mail.", true},
		{"10", 0, "", false},
		{"0", 0, "", false},
		{"6", 0, "", false},
		{"4.5", 0, "", false},
		{"2026 is the year", 0, "", false},
		{"3rd time I write", 0, "", false},
		{"Thanks! 5", 0, "", false},
		{"", 0, "", false},
	} {
		rating, comment, ok := surveyAnswer(tc.text)
		if rating != tc.rating || comment != tc.comment || ok != tc.ok {
			t.Errorf("surveyAnswer(%q) = %d, %q, %v; want %d, %q, %v", tc.text, rating, comment, ok, tc.rating, tc.comment, tc.ok)
		}
	}
}
