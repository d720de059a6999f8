package mail

import (
	"errors"
	"html"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// hostileName is a recipient name that must come out escaped in HTML.
const hostileName = `<b>Ann & "Bo"</b>`

// testData returns template data whose URLs need escaping in HTML.
func testData() TemplateData {
	return TemplateData{
		RecipientName:  hostileName,
		BusinessName:   "Blom & Co",
		ReferenceID:    "ORD-4711",
		ReviewURL:      "https://reviews.example/r/tok123?utm_source=mail&lang=sv",
		UnsubscribeURL: "https://reviews.example/u/tok123?b=42&sig=abc",
	}
}

func TestRenderEveryTemplate(t *testing.T) {
	infos := Templates()
	if len(infos) < 2*len(locales) {
		t.Fatalf("Templates() has %d entries, want at least %d", len(infos), 2*len(locales))
	}
	for _, info := range infos {
		t.Run(info.ID+"/"+info.Locale, func(t *testing.T) {
			d := testData()
			subject, text, body, err := Render(info.ID, info.Locale, d)
			if err != nil {
				t.Fatalf("Render(%q, %q) = %v, want nil", info.ID, info.Locale, err)
			}

			if subject == "" || strings.ContainsAny(subject, "\r\n") {
				t.Errorf("Render(%q, %q) subject = %q, want one non-empty line", info.ID, info.Locale, subject)
			}
			for _, u := range []string{d.ReviewURL, d.UnsubscribeURL} {
				if !strings.Contains(text, u) {
					t.Errorf("Render(%q, %q) text lacks %q", info.ID, info.Locale, u)
				}
				if !strings.Contains(body, html.EscapeString(u)) {
					t.Errorf("Render(%q, %q) html lacks %q", info.ID, info.Locale, html.EscapeString(u))
				}
			}
			if !strings.Contains(text, hostileName) {
				t.Errorf("Render(%q, %q) text lacks the recipient name", info.ID, info.Locale)
			}
			if strings.Contains(body, "<b>Ann") || !strings.Contains(body, "&lt;b&gt;Ann &amp; &#34;Bo&#34;&lt;/b&gt;") {
				t.Errorf("Render(%q, %q) html does not escape the name %q", info.ID, info.Locale, hostileName)
			}
			if strings.Contains(body, "Blom & Co") || !strings.Contains(body, "Blom &amp; Co") {
				t.Errorf("Render(%q, %q) html does not escape the business name", info.ID, info.Locale)
			}
			if !strings.Contains(body, `lang="`+info.Locale+`"`) {
				t.Errorf("Render(%q, %q) html lacks lang=%q", info.ID, info.Locale, info.Locale)
			}
			for _, out := range []string{subject, text, body} {
				if strings.Contains(out, "<no value>") || strings.Contains(out, "ZgotmplZ") {
					t.Errorf("Render(%q, %q) output has a template artefact: %q", info.ID, info.Locale, out)
				}
			}
			if info.ID == "order" && !strings.Contains(text, d.ReferenceID) {
				t.Errorf("Render(%q, %q) text lacks the order reference", info.ID, info.Locale)
			}

			// The rendered parts must make a valid message.
			m := newTestMessage("render")
			m.Subject, m.Text, m.HTML = subject, text, body
			if _, err := m.Bytes(); err != nil {
				t.Errorf("Bytes() of rendered %s/%s = %v, want nil", info.ID, info.Locale, err)
			}
		})
	}
}

func TestRenderWithoutOptionalFields(t *testing.T) {
	for _, info := range Templates() {
		t.Run(info.ID+"/"+info.Locale, func(t *testing.T) {
			d := testData()
			d.RecipientName = ""
			d.ReferenceID = ""

			subject, text, body, err := Render(info.ID, info.Locale, d)
			if err != nil {
				t.Fatalf("Render(%q, %q) = %v, want nil", info.ID, info.Locale, err)
			}
			for _, out := range []string{subject, text, body} {
				if strings.Contains(out, "  ") && out != body {
					t.Errorf("Render(%q, %q) has a double space where a field was empty: %q", info.ID, info.Locale, out)
				}
				if strings.Contains(out, " ,") || strings.Contains(out, " !") || strings.Contains(out, " .") || strings.Contains(out, " ?") {
					t.Errorf("Render(%q, %q) has a space before punctuation: %q", info.ID, info.Locale, out)
				}
			}
		})
	}
}

func TestRenderSubjects(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		locale string
		ref    string
		want   string
	}{
		{name: "default en-US", id: "default", locale: "en-US", want: "How was your experience with Blom & Co?"},
		{name: "default en-GB", id: "default", locale: "en-GB", want: "How was your experience with Blom & Co?"},
		{name: "default sv-SE", id: "default", locale: "sv-SE", want: "Vad tyckte du om Blom & Co?"},
		{name: "default da-DK", id: "default", locale: "da-DK", want: "Hvad synes du om Blom & Co?"},
		{name: "default de-DE", id: "default", locale: "de-DE", want: "Wie war Ihre Erfahrung mit Blom & Co?"},
		{name: "order en-US", id: "order", locale: "en-US", ref: "ORD-4711", want: "How was your order ORD-4711 from Blom & Co?"},
		{name: "order en-GB", id: "order", locale: "en-GB", ref: "ORD-4711", want: "How was your order ORD-4711 from Blom & Co?"},
		{name: "order sv-SE", id: "order", locale: "sv-SE", ref: "ORD-4711", want: "Vad tyckte du om din beställning ORD-4711 från Blom & Co?"},
		{name: "order da-DK", id: "order", locale: "da-DK", ref: "ORD-4711", want: "Hvad synes du om din ordre ORD-4711 hos Blom & Co?"},
		{name: "order de-DE", id: "order", locale: "de-DE", ref: "ORD-4711", want: "Wie zufrieden sind Sie mit Ihrer Bestellung ORD-4711 bei Blom & Co?"},
		{name: "order without reference", id: "order", locale: "sv-SE", want: "Vad tyckte du om din beställning från Blom & Co?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testData()
			d.ReferenceID = tt.ref

			got, _, _, err := Render(tt.id, tt.locale, d)
			if err != nil || got != tt.want {
				t.Errorf("Render(%q, %q) subject = %q, %v, want %q", tt.id, tt.locale, got, err, tt.want)
			}
		})
	}
}

func TestRenderSpelling(t *testing.T) {
	tests := []struct {
		name    string
		locale  string
		want    []string
		notWant []string
	}{
		{name: "US", locale: "en-US", want: []string{"recognize", "email"}, notWant: []string{"recognise", "e-mail"}},
		{name: "GB", locale: "en-GB", want: []string{"recognise", "e-mail"}, notWant: []string{"recognize", " email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, text, _, err := Render("order", tt.locale, testData())
			if err != nil {
				t.Fatalf("Render(%q, %q) = %v, want nil", "order", tt.locale, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("Render(%q, %q) text lacks %q", "order", tt.locale, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("Render(%q, %q) text has %q", "order", tt.locale, w)
				}
			}
		})
	}
}

func TestRenderCleansNames(t *testing.T) {
	d := testData()
	d.RecipientName = "Ann\r\nBcc: x\x00  Bo"
	d.BusinessName = "Blom\n& Co"

	subject, text, _, err := Render("default", "en-US", d)
	if err != nil {
		t.Fatalf("Render(%q, %q) = %v, want nil", "default", "en-US", err)
	}
	if want := "How was your experience with Blom & Co?"; subject != want {
		t.Errorf("Render(%q, %q) subject = %q, want %q", "default", "en-US", subject, want)
	}
	if !strings.HasPrefix(text, "Hi Ann Bcc: x Bo,\n") {
		t.Errorf("Render(%q, %q) text starts %q, want the name on one line", "default", "en-US", text[:min(len(text), 40)])
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		locale string
		edit   func(d *TemplateData)
		want   error
	}{
		{name: "unknown template", id: "nope", locale: "en-US", want: ErrUnknownTemplate},
		{name: "unknown locale", id: "default", locale: "fr-FR", want: ErrUnknownLocale},
		{name: "empty locale", id: "default", locale: "", want: ErrUnknownLocale},
		{name: "missing business", id: "default", locale: "en-US", edit: func(d *TemplateData) { d.BusinessName = " \n" }, want: ErrInvalidTemplateData},
		{name: "missing review url", id: "default", locale: "en-US", edit: func(d *TemplateData) { d.ReviewURL = "" }, want: ErrInvalidTemplateData},
		{name: "javascript review url", id: "order", locale: "en-US", edit: func(d *TemplateData) { d.ReviewURL = "javascript:alert(1)" }, want: ErrInvalidTemplateData},
		{name: "relative unsubscribe url", id: "order", locale: "en-US", edit: func(d *TemplateData) { d.UnsubscribeURL = "/u/tok123" }, want: ErrInvalidTemplateData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testData()
			if tt.edit != nil {
				tt.edit(&d)
			}

			_, _, _, err := Render(tt.id, tt.locale, d)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Render(%q, %q) = %v, want %v", tt.id, tt.locale, err, tt.want)
			}
			if strings.Contains(err.Error(), "tok123") || strings.Contains(err.Error(), "Ann") {
				t.Errorf("Render(%q, %q) error %q echoes data", tt.id, tt.locale, err)
			}
		})
	}
}

func TestMatchLocale(t *testing.T) {
	tests := []struct {
		name string
		tag  string
		want string
		err  error
	}{
		{name: "exact", tag: "en-GB", want: "en-GB"},
		{name: "case and underscore", tag: "SV_se", want: "sv-SE"},
		{name: "language only", tag: "sv", want: "sv-SE"},
		{name: "other region", tag: "sv-FI", want: "sv-SE"},
		{name: "english default", tag: "en", want: "en-US"},
		{name: "english other region", tag: "en_AU", want: "en-US"},
		{name: "austrian german", tag: "de-AT", want: "de-DE"},
		{name: "danish", tag: "da", want: "da-DK"},
		{name: "unsupported language", tag: "fr-FR", err: ErrUnknownLocale},
		{name: "norwegian is not danish", tag: "nb-NO", err: ErrUnknownLocale},
		{name: "empty", tag: "", err: ErrUnknownLocale},
		{name: "dash only", tag: "-", err: ErrUnknownLocale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MatchLocale(tt.tag)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("MatchLocale(%q) = %q, %v, want %q, %v", tt.tag, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestTemplatesList(t *testing.T) {
	infos := Templates()

	sorted := slices.IsSortedFunc(infos, func(a, b TemplateInfo) int {
		return strings.Compare(a.ID+"\x00"+a.Locale, b.ID+"\x00"+b.Locale)
	})
	if !sorted {
		t.Errorf("Templates() = %v, want sorted by ID then Locale", infos)
	}
	for _, id := range []string{"default", "order", "nope", ""} {
		if want := id == "default" || id == "order"; HasTemplate(id) != want {
			t.Errorf("HasTemplate(%q) = %v, want %v", id, !want, want)
		}
	}
	for _, id := range []string{"default", "order"} {
		for _, loc := range Locales() {
			i := slices.IndexFunc(infos, func(ti TemplateInfo) bool { return ti.ID == id && ti.Locale == loc })
			if i < 0 {
				t.Errorf("Templates() lacks %s/%s", id, loc)
				continue
			}
			if infos[i].DisplayName == "" {
				t.Errorf("Templates() %s/%s has no DisplayName", id, loc)
			}
		}
	}
	if got, want := Locales(), []string{"en-US", "en-GB", "sv-SE", "da-DK", "de-DE"}; !slices.Equal(got, want) {
		t.Errorf("Locales() = %q, want %q", got, want)
	}
}

func TestLoadCatalogErrors(t *testing.T) {
	layouts := fstest.MapFS{
		"templates/layout.txt":  {Data: []byte(`{{define "layout"}}{{template "intro" .}}{{end}}`)},
		"templates/layout.html": {Data: []byte(`{{define "layout"}}<p>{{template "intro" .}}</p>{{end}}`)},
	}
	full := ""
	for _, s := range slots {
		full += `{{define "` + s + `"}}x{{end}}`
	}
	withFiles := func(files map[string]string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for k, v := range layouts {
			fsys[k] = v
		}
		for k, v := range files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return fsys
	}
	allLocales := func(id, src string) map[string]string {
		files := map[string]string{}
		for _, l := range locales {
			files["templates/"+id+"/"+l+".tmpl"] = src
		}
		return files
	}

	tests := []struct {
		name    string
		fsys    fstest.MapFS
		wantErr bool
	}{
		{name: "complete", fsys: withFiles(allLocales("t", full))},
		{name: "no templates", fsys: withFiles(nil), wantErr: true},
		{name: "missing slot", fsys: withFiles(allLocales("t", `{{define "intro"}}x{{end}}`)), wantErr: true},
		{name: "parse error", fsys: withFiles(allLocales("t", full+`{{if}}`)), wantErr: true},
		{name: "missing locale", fsys: withFiles(map[string]string{"templates/t/en-US.tmpl": full}), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadCatalog(tt.fsys)
			if (err != nil) != tt.wantErr {
				t.Errorf("loadCatalog() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
