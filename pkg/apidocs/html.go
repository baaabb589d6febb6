package apidocs

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
)

//go:embed page.html.tmpl
var pageTemplateText string

//go:embed index.html.tmpl
var indexTemplateText string

//go:embed style.html.tmpl
var styleTemplateText string

var templateFuncs = template.FuncMap{
	"paragraphs": splitParagraphs,
	"scope":      scopeText,
	"note":       func() string { return generatedNote },
	"listURL":    func() string { return listConceptsURL },
	// indent is the left padding of a field at depth d, in em.
	"indent": func(d int) string { return fmt.Sprintf("%.1fem", 0.4+1.2*float64(d)) },
}

var (
	pageTemplate  = parseTemplate("page", pageTemplateText)
	indexTemplate = parseTemplate("index", indexTemplateText)
)

// parseTemplate parses a page template with the shared inline style.
func parseTemplate(name, text string) *template.Template {
	t := template.Must(template.New(name).Funcs(templateFuncs).Parse(text))
	return template.Must(t.Parse(styleTemplateText))
}

// RenderHTML prints a group's page as one self-contained HTML document
// (inline CSS, no scripts); html/template escapes every text from the
// documents.
func RenderHTML(p *Page) ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("render HTML of %s: %w", p.Group, err)
	}
	return b.Bytes(), nil
}
