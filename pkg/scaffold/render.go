package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

var templates = template.Must(template.New("").ParseFS(templateFiles, "templates/*.tmpl"))

// render executes templates/<name>.tmpl; Go source comes out gofmt'd.
func render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name+".tmpl", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	if !strings.HasSuffix(name, ".go") {
		return b.Bytes(), nil
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("render %s: gofmt: %w\n%s", name, err, b.String())
	}
	return src, nil
}
