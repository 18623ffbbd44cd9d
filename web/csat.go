package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"helpdesk/tickets"
)

// Surveys is what the survey pages need of the ticket service.
type Surveys interface {
	// SurveyByLink returns the survey of a link's token, changing nothing.
	SurveyByLink(ctx context.Context, token string) (*tickets.Survey, error)
	// RateByLink records a rating and comment through a link's token.
	RateByLink(ctx context.Context, token string, rating int, comment string) (*tickets.Survey, error)
}

// The survey's pages. A link in the survey mail opens GET /csat/{token}:
// a form with the link's rating chosen, a comment box and a button. It
// records nothing: mail security scanners open every link of a mail. The
// button POSTs the form, with the token in it, to the same address; the
// rating is recorded (a second replaces the first) and the browser is
// sent on to GET /csat/{token}/thanks, which shows what was recorded, so
// that a reload does not send the form again.

// surveyPage shows the form of a survey link.
func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	sv, err := s.surveys.SurveyByLink(r.Context(), token)
	if err != nil {
		s.surveyError(w, r, err)
		return
	}
	l := localeFor(r, sv.Language)
	s.render(w, http.StatusOK, page{L: l, Title: l.T("Rate our help"), Survey: s.form(l, sv, token, sv.Rating, "")})
}

// form is the survey's form for sv, with rating chosen and comment filled in.
func (s *Server) form(l locale, sv *tickets.Survey, token string, rating int, comment string) *surveyForm {
	f := &surveyForm{L: l, Ref: sv.Ref, Subject: sv.Subject, Rated: sv.Rated.Rating, Token: token, Comment: comment, MaxComment: tickets.MaxCSATComment}
	for v := 5; v >= 1; v-- {
		f.Choices = append(f.Choices, choice{Value: v, Label: l.T(ratingLabels[v]), Checked: v == rating})
	}
	return f
}

// surveyRate records the rating of the form, and sends the browser to the
// thanks page.
func (s *Server) surveyRate(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site",
			"Nothing was recorded. Please open the link from our email and send the form from that page.")
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "The form is too large", "Nothing was recorded. Please shorten your comment and try again.")
			return
		}
		s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", "Nothing was recorded. Please open the link from our email again.")
		return
	}
	token := r.PathValue("token")
	if r.PostForm.Get("token") != token {
		s.errorPage(w, r, http.StatusBadRequest, "The form does not belong to this link",
			"Nothing was recorded. Please open the link from our email and send the form from that page.")
		return
	}
	comment := r.PostForm.Get("comment")
	rating, err := strconv.Atoi(r.PostForm.Get("rating"))
	if err != nil || rating < 1 || rating > 5 {
		s.formProblem(w, r, token, 0, comment, "Please choose a rating from 1 to 5.")
		return
	}
	if n := utf8.RuneCountInString(comment); n > tickets.MaxCSATComment {
		s.formProblem(w, r, token, rating, comment, "Your comment has %d characters; at most %d fit. Please shorten it and send the form again.",
			n, tickets.MaxCSATComment)
		return
	}
	sv, err := s.surveys.RateByLink(r.Context(), token, rating, comment)
	if errors.Is(err, tickets.ErrCommentTooLong) {
		s.formProblem(w, r, token, rating, comment, "Your comment is too long. Please shorten it and send the form again.")
		return
	}
	if err != nil {
		s.surveyError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "ticket rated by link", "ticket", sv.Ref, "rating", rating)
	http.Redirect(w, r, s.base+"/csat/"+token+"/thanks", http.StatusSeeOther)
}

// formProblem shows the form again, as it was sent, with what is wrong
// with it; nothing was recorded.
func (s *Server) formProblem(w http.ResponseWriter, r *http.Request, token string, rating int, comment, problem string, args ...any) {
	sv, err := s.surveys.SurveyByLink(r.Context(), token)
	if err != nil {
		s.surveyError(w, r, err)
		return
	}
	l := localeFor(r, sv.Language)
	s.render(w, http.StatusBadRequest, page{L: l, Title: l.T("Rate our help"), Problem: l.T(problem, args...), Survey: s.form(l, sv, token, rating, comment)})
}

// surveyThanks shows the rating recorded through a link.
func (s *Server) surveyThanks(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	sv, err := s.surveys.SurveyByLink(r.Context(), token)
	if err != nil {
		s.surveyError(w, r, err)
		return
	}
	again := s.base + "/csat/" + token
	if sv.Rated.Rating == 0 {
		http.Redirect(w, r, again, http.StatusSeeOther)
		return
	}
	l := localeFor(r, sv.Language)
	s.render(w, http.StatusOK, page{L: l, Title: l.T("Thank you"), Thanks: &thanksView{
		L: l, Ref: sv.Ref, Subject: sv.Subject, Rating: sv.Rated.Rating, Label: l.T(ratingLabels[sv.Rated.Rating]),
		Comment: sv.Rated.Comment, Again: again,
	}})
}

// surveyError answers a link that cannot be used, saying why; nothing was
// recorded.
func (s *Server) surveyError(w http.ResponseWriter, r *http.Request, err error) {
	l := localeFor(r, "")
	byMail := " " + l.T("You can still rate our help by replying to the survey email with a digit from 1 to 5 on the first line.")
	show := func(status int, title, text, more string) {
		s.render(w, status, page{L: l, Title: l.T(title), Text: l.T(text) + more})
	}
	switch {
	case errors.Is(err, tickets.ErrLinkInvalid):
		show(http.StatusForbidden, "This link is not valid",
			"Nothing was recorded. The link may have been cut short or changed: please open it from our email exactly as it is.", byMail)
	case errors.Is(err, tickets.ErrLinkExpired):
		show(http.StatusGone, "This link has expired", "Nothing was recorded.", byMail)
	case errors.Is(err, tickets.ErrNotFound):
		show(http.StatusNotFound, "No such ticket", "Nothing was recorded: the ticket of this link is not in our records.", "")
	case errors.Is(err, tickets.ErrNotRatable):
		show(http.StatusConflict, "This ticket cannot be rated now",
			"Nothing was recorded: the ticket is no longer closed (it was opened again, or goes on as another ticket). "+
				"If it is closed again, this link works again until it expires.", "")
	default:
		s.log.ErrorContext(r.Context(), "survey page", "err", err)
		show(http.StatusInternalServerError, "Something went wrong on our side", "Please try again in a few minutes.", "")
	}
}
