package tickets

import (
	"fmt"
	"strings"
)

// An article as a file an admin edits: front matter between "---"
// lines, then the Markdown text.
//
//	---
//	title: Reset a forgotten password
//	slug: reset-password
//	tags: password login
//	language: en
//	queue: general
//	---
//	Open the sign-in page and choose **Forgot password**. ...
//
// slug, tags, language and queue may be left out (a slug is then made of
// the title for a new article, and kept for an edited one; the others
// are empty). The status is not in the file: publish and retire set it.

// ArticleFile writes a as the file an admin edits.
func ArticleFile(a *Article) string {
	var b strings.Builder
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %s\n", a.Title)
	fmt.Fprintf(&b, "slug: %s\n", a.Slug)
	fmt.Fprintf(&b, "tags: %s\n", strings.Join(a.Tags, " "))
	fmt.Fprintf(&b, "language: %s\n", a.Language)
	fmt.Fprintf(&b, "queue: %s\n", a.Queue)
	b.WriteString("---\n")
	b.WriteString(strings.TrimRight(a.Body, "\n"))
	b.WriteString("\n")
	return b.String()
}

// ParseArticleFile reads a file ArticleFile wrote, as an admin changed
// it; its errors name the line ("line 3: ...").
func ParseArticleFile(src string) (*Article, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return nil, fmt.Errorf("line 1: the file must start with a \"---\" line, then title: and the other fields, then \"---\"")
	}
	a := &Article{}
	end := -1
	for i := 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "---" {
			end = i
			break
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		key, val, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not KEY: VALUE", i+1, l)
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "title":
			a.Title = val
		case "slug":
			a.Slug = val
			if val != "" && !ValidSlug(val) {
				return nil, fmt.Errorf("line %d: slug %q: use lowercase letters, digits and dashes, at most %d", i+1, val, maxSlug)
			}
		case "tags":
			a.Tags = strings.Fields(strings.ReplaceAll(val, ",", " "))
		case "language":
			a.Language = strings.ToLower(val)
		case "queue":
			a.Queue = val
		default:
			return nil, fmt.Errorf("line %d: unknown field %q (use title, slug, tags, language, queue)", i+1, key)
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("line %d: no \"---\" line ends the fields", len(lines))
	}
	if strings.TrimSpace(a.Title) == "" {
		return nil, fmt.Errorf("line %d: the article has no title (title: ...)", end+1)
	}
	a.Body = strings.TrimSpace(strings.Join(lines[end+1:], "\n")) + "\n"
	return a, nil
}
