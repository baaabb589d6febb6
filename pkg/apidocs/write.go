package apidocs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Format is an output format of the reference.
type Format string

// The formats Write knows.
const (
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
)

// ParseFormats reads a comma-separated list such as "markdown,html".
func ParseFormats(list string) ([]Format, error) {
	var formats []Format
	for _, f := range strings.Split(list, ",") {
		switch format := Format(strings.ToLower(strings.TrimSpace(f))); format {
		case FormatMarkdown, FormatHTML:
			if !slices.Contains(formats, format) {
				formats = append(formats, format)
			}
		case "":
		default:
			return nil, fmt.Errorf("unknown format %q: want markdown or html", f)
		}
	}
	if len(formats) == 0 {
		return nil, fmt.Errorf("no output format: want markdown, html or both")
	}
	return formats, nil
}

// extension is a format's file name extension.
func (f Format) extension() string {
	if f == FormatHTML {
		return ".html"
	}
	return ".md"
}

// Write renders each page and an index in each format into dir (made if
// missing): <group>.md, <group>.html, index.md, index.html. It returns the
// files written, sorted.
func Write(dir string, pages []*Page, formats []Format) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("API reference directory: %w", err)
	}
	pages = slices.Clone(pages)
	slices.SortFunc(pages, func(a, b *Page) int { return strings.Compare(a.Group, b.Group) })
	var written []string
	for _, format := range formats {
		for _, p := range pages {
			data, err := render(p, format)
			if err != nil {
				return nil, err
			}
			path, err := writeFile(dir, p.Group+format.extension(), data)
			if err != nil {
				return nil, err
			}
			written = append(written, path)
		}
		data, err := renderIndex(pages, format)
		if err != nil {
			return nil, err
		}
		path, err := writeFile(dir, "index"+format.extension(), data)
		if err != nil {
			return nil, err
		}
		written = append(written, path)
	}
	slices.Sort(written)
	return written, nil
}

func render(p *Page, format Format) ([]byte, error) {
	if format == FormatHTML {
		return RenderHTML(p)
	}
	return RenderMarkdown(p), nil
}

func writeFile(dir, name string, data []byte) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write API reference: %w", err)
	}
	return path, nil
}

// indexEntry is one group's line in the index.
type indexEntry struct {
	Group    string
	HTML     string
	Markdown string
	Versions []VersionDoc
	Kinds    []string
}

func indexEntries(pages []*Page) []indexEntry {
	var entries []indexEntry
	for _, p := range pages {
		e := indexEntry{Group: p.Group, HTML: p.Group + ".html", Markdown: p.Group + ".md", Versions: p.Versions}
		for _, v := range p.Versions {
			for _, k := range v.Kinds {
				e.Kinds = append(e.Kinds, k.Kind)
			}
		}
		slices.Sort(e.Kinds)
		e.Kinds = slices.Compact(e.Kinds)
		entries = append(entries, e)
	}
	return entries
}

// renderIndex lists every group with its versions and kinds.
func renderIndex(pages []*Page, format Format) ([]byte, error) {
	entries := indexEntries(pages)
	var b bytes.Buffer
	if format == FormatHTML {
		if err := indexTemplate.Execute(&b, entries); err != nil {
			return nil, fmt.Errorf("render HTML index: %w", err)
		}
		return b.Bytes(), nil
	}
	fmt.Fprintf(&b, "# API reference\n\n<!-- %s -->\n\n", strings.ReplaceAll(generatedNote, "`", ""))
	b.WriteString("| Group | Versions | Kinds |\n|---|---|---|\n")
	for _, e := range entries {
		var versions []string
		for _, v := range e.Versions {
			versions = append(versions, fmt.Sprintf("[%s](%s#%s)", mdText(v.Version), e.Markdown, v.Anchor))
		}
		var kinds []string
		for _, k := range e.Kinds {
			kinds = append(kinds, mdText(k))
		}
		fmt.Fprintf(&b, "| [%s](%s) | %s | %s |\n", mdText(e.Group), e.Markdown, strings.Join(versions, ", "), strings.Join(kinds, ", "))
	}
	return b.Bytes(), nil
}
