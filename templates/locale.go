package templates

import (
	"fmt"
	"maps"
	"strings"
	"time"
)

// Dates and sizes read as each shipped language writes them; other
// languages get the English forms.
var (
	monthNames = map[string][12]string{
		"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	}
	// dateLayouts: %d day, %m month name, %y year, %t time and zone.
	dateLayouts = map[string]string{"de": "%d. %m %y, %t", "fr": "%d %m %y à %t", "es": "%d de %m de %y, %t"}
	byteWords   = map[string][2]string{"de": {"Byte", "Byte"}, "fr": {"octet", "octets"}, "es": {"byte", "bytes"}}
)

// funcsFor returns the template functions for lang: date and size in
// its forms, the others as for every language.
func funcsFor(lang string) map[string]any {
	f := maps.Clone(funcs)
	if _, ok := dateLayouts[lang]; ok {
		f["date"] = func(t time.Time) string { return formatDateIn(lang, t) }
		f["size"] = func(n int64) string { return formatSizeIn(lang, n) }
	}
	return f
}

// formatDateIn writes t in lang: "3. März 2025, 09:15 UTC".
func formatDateIn(lang string, t time.Time) string {
	layout, ok := dateLayouts[lang]
	if !ok || t.IsZero() {
		return formatDate(t)
	}
	return strings.NewReplacer("%d", fmt.Sprint(t.Day()), "%m", monthNames[lang][t.Month()-1],
		"%y", fmt.Sprint(t.Year()), "%t", t.Format("15:04 MST")).Replace(layout)
}

// formatSizeIn writes a byte count in lang: "47,1 KiB", "532 octets".
func formatSizeIn(lang string, n int64) string {
	s := formatSize(n)
	w, ok := byteWords[lang]
	if !ok {
		return s
	}
	s = strings.Replace(s, ".", ",", 1)
	if n == 1 {
		return strings.Replace(s, "byte", w[0], 1)
	}
	return strings.Replace(s, "bytes", w[1], 1)
}

// replyMarkers are ReplyMarker in the other shipped languages.
var replyMarkers = map[string]string{
	"de": "-- Bitte oberhalb dieser Zeile antworten --",
	"fr": "-- Répondez au-dessus de cette ligne --",
	"es": "-- Escriba su respuesta encima de esta línea --",
}

// ReplyMarkerIn is the reply marker of mail to agents in lang:
// ReplyMarker in English and in a language without a translation of it.
func ReplyMarkerIn(lang string) string {
	if m, ok := replyMarkers[lang]; ok {
		return m
	}
	return ReplyMarker
}

// ReplyMarkers are the reply markers of every language, ReplyMarker
// first: an agent's reply is cut at any of them.
func ReplyMarkers() []string {
	out := []string{ReplyMarker}
	for _, l := range []string{"de", "es", "fr"} {
		out = append(out, replyMarkers[l])
	}
	return out
}
