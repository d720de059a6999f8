package mail

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
	"unicode"
)

// templateFS holds the layouts (templates/layout.txt and layout.html) and
// one folder per template id with one <locale>.tmpl file per locale. A
// locale file defines the slots below; the same text is parsed by
// text/template for the plain part and by html/template for the HTML part,
// so slot text must be plain words free of HTML markup.
//
//go:embed templates
var templateFS embed.FS

// slots are the templates every locale file must define.
var slots = []string{"name", "subject", "greeting", "intro", "action", "fallback", "outro", "signoff", "footer", "unsubscribe"}

// locales are the supported locales; the first of each language is the
// one a bare language or an unsupported region falls back to.
var locales = []string{"en-US", "en-GB", "sv-SE", "da-DK", "de-DE"}

// TemplateInfo describes one built-in template in one locale.
type TemplateInfo struct {
	ID          string // template id, such as "default" or "order"
	Locale      string // one of Locales()
	DisplayName string // human-readable name in that locale
}

// TemplateData is what a template may use. Render collapses runs of white
// space and drops control characters in the three text fields.
type TemplateData struct {
	// RecipientName is the customer's name; "" gives a neutral greeting.
	RecipientName string
	// BusinessName is the sender's name. Required.
	BusinessName string
	// ReferenceID is the business's order or customer reference; may be "".
	ReferenceID string
	// ReviewURL is the review link: an absolute http or https URL. Required.
	ReviewURL string
	// UnsubscribeURL is the unsubscribe link: an absolute http or https
	// URL. Required.
	UnsubscribeURL string
}

// view is the value the templates execute on.
type view struct {
	TemplateData
	Locale  string
	Subject string
}

// localized is one template parsed for one locale.
type localized struct {
	info TemplateInfo
	text *texttemplate.Template
	html *htmltemplate.Template
}

// catalog maps template id and locale to the parsed template. The
// templates are built in, so a broken one is a programming error and
// stops the program at start-up; the tests load every one.
var catalog = mustLoadCatalog()

// Locales returns the supported locales: en-US, en-GB, sv-SE, da-DK and
// de-DE, in that order.
func Locales() []string { return slices.Clone(locales) }

// Templates lists every built-in template in every locale, sorted by ID
// then Locale.
func Templates() []TemplateInfo {
	var out []TemplateInfo
	for _, byLocale := range catalog {
		for _, l := range byLocale {
			out = append(out, l.info)
		}
	}
	slices.SortFunc(out, func(a, b TemplateInfo) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Locale, b.Locale)
	})
	return out
}

// HasTemplate reports whether id is a built-in template.
func HasTemplate(id string) bool {
	_, ok := catalog[id]
	return ok
}

// MatchLocale returns the supported locale for tag. An exact match wins,
// ignoring case and accepting '_' for '-'; otherwise the first supported
// locale of the same language ("sv" and "sv-FI" give "sv-SE", "en" gives
// "en-US", "de-AT" gives "de-DE"). It returns ErrUnknownLocale when
// nothing matches.
func MatchLocale(tag string) (string, error) {
	t := strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	for _, l := range locales {
		if strings.EqualFold(l, t) {
			return l, nil
		}
	}

	lang, _, _ := strings.Cut(t, "-")
	for _, l := range locales {
		if l2, _, _ := strings.Cut(l, "-"); lang != "" && strings.EqualFold(l2, lang) {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownLocale, tag)
}

// Render renders template id in the locale MatchLocale picks and returns
// the subject (one line, no newline) and the text and HTML bodies, both of
// which hold the review and unsubscribe links. Names are escaped in the
// HTML body. It returns ErrUnknownTemplate, ErrUnknownLocale, or an error
// wrapping ErrInvalidTemplateData when BusinessName, ReviewURL or
// UnsubscribeURL is missing or a URL is not absolute http or https.
func Render(id, locale string, d TemplateData) (subject, text, html string, err error) {
	byLocale, ok := catalog[id]
	if !ok {
		return "", "", "", fmt.Errorf("%w: %q", ErrUnknownTemplate, id)
	}
	loc, err := MatchLocale(locale)
	if err != nil {
		return "", "", "", err
	}
	t := byLocale[loc]
	v := view{TemplateData: cleanData(d), Locale: loc}
	if err := checkData(v.TemplateData); err != nil {
		return "", "", "", err
	}

	var b strings.Builder
	if err := t.text.ExecuteTemplate(&b, "subject", v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s/%s subject: %w", id, loc, err)
	}
	v.Subject = strings.Join(strings.Fields(b.String()), " ")

	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "layout", v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s/%s text: %w", id, loc, err)
	}
	text = b.String()

	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "layout", v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s/%s html: %w", id, loc, err)
	}
	return v.Subject, text, b.String(), nil
}

// cleanData returns d with control characters dropped and white space
// collapsed in the text fields, so that no name can break a line.
func cleanData(d TemplateData) TemplateData {
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return ' '
			}
			if unicode.IsControl(r) || r == unicode.ReplacementChar {
				return -1
			}
			return r
		}, s)
		return strings.Join(strings.Fields(s), " ")
	}
	d.RecipientName = clean(d.RecipientName)
	d.BusinessName = clean(d.BusinessName)
	d.ReferenceID = clean(d.ReferenceID)
	return d
}

// checkData reports missing or malformed required fields, naming the
// field but never its value.
func checkData(d TemplateData) error {
	if d.BusinessName == "" {
		return fmt.Errorf("%w: BusinessName is required", ErrInvalidTemplateData)
	}
	if !validURL(d.ReviewURL) {
		return fmt.Errorf("%w: ReviewURL must be an absolute http or https URL of printable ASCII", ErrInvalidTemplateData)
	}
	if !validURL(d.UnsubscribeURL) {
		return fmt.Errorf("%w: UnsubscribeURL must be an absolute http or https URL of printable ASCII", ErrInvalidTemplateData)
	}
	return nil
}

// mustLoadCatalog is loadCatalog for the embedded files; it panics on
// error.
func mustLoadCatalog() map[string]map[string]*localized {
	c, err := loadCatalog(templateFS)
	if err != nil {
		panic(err)
	}
	return c
}

// loadCatalog parses the layouts and every locale file in fsys, checking
// that each template id has every locale and each locale file every slot.
func loadCatalog(fsys fs.FS) (map[string]map[string]*localized, error) {
	layoutText, err := fs.ReadFile(fsys, "templates/layout.txt")
	if err != nil {
		return nil, fmt.Errorf("mail: read text layout: %w", err)
	}
	layoutHTML, err := fs.ReadFile(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail: read html layout: %w", err)
	}
	baseText, err := texttemplate.New("root").Parse(string(layoutText))
	if err != nil {
		return nil, fmt.Errorf("mail: parse text layout: %w", err)
	}
	baseHTML, err := htmltemplate.New("root").Parse(string(layoutHTML))
	if err != nil {
		return nil, fmt.Errorf("mail: parse html layout: %w", err)
	}

	dirs, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, fmt.Errorf("mail: read templates: %w", err)
	}
	catalog := map[string]map[string]*localized{}
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		id := dir.Name()
		byLocale := map[string]*localized{}
		for _, loc := range locales {
			l, err := loadLocalized(fsys, baseText, baseHTML, id, loc)
			if err != nil {
				return nil, err
			}
			byLocale[loc] = l
		}
		catalog[id] = byLocale
	}
	if len(catalog) == 0 {
		return nil, fmt.Errorf("mail: no templates found")
	}
	return catalog, nil
}

// loadLocalized parses templates/<id>/<loc>.tmpl onto copies of the
// layouts.
func loadLocalized(fsys fs.FS, baseText *texttemplate.Template, baseHTML *htmltemplate.Template, id, loc string) (*localized, error) {
	name := path.Join("templates", id, loc+".tmpl")
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("mail: read %s: %w", name, err)
	}

	tt, err := baseText.Clone()
	if err != nil {
		return nil, fmt.Errorf("mail: clone text layout: %w", err)
	}
	if _, err := tt.Parse(string(src)); err != nil {
		return nil, fmt.Errorf("mail: parse %s as text: %w", name, err)
	}
	ht, err := baseHTML.Clone()
	if err != nil {
		return nil, fmt.Errorf("mail: clone html layout: %w", err)
	}
	if _, err := ht.Parse(string(src)); err != nil {
		return nil, fmt.Errorf("mail: parse %s as html: %w", name, err)
	}
	for _, s := range slots {
		if tt.Lookup(s) == nil {
			return nil, fmt.Errorf("mail: %s does not define %q", name, s)
		}
	}

	var b strings.Builder
	if err := tt.ExecuteTemplate(&b, "name", view{}); err != nil {
		return nil, fmt.Errorf("mail: render name of %s: %w", name, err)
	}
	info := TemplateInfo{ID: id, Locale: loc, DisplayName: strings.TrimSpace(b.String())}
	return &localized{info: info, text: tt, html: ht}, nil
}
