package apidocs

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// maxFieldDepth stops expansion of absurdly deep anonymous objects; named
// types stop on their own, each is expanded once per kind.
const maxFieldDepth = 16

// fieldWalker lists the fields of one kind. Each named type is expanded at
// its first use; later uses, including cycles, link to that row.
type fieldWalker struct {
	doc        *openAPIDoc
	kindAnchor string
	expanded   map[string]string // component name -> anchor of the row expanding it
}

func newFieldWalker(doc *openAPIDoc, kindAnchor string) *fieldWalker {
	return &fieldWalker{doc: doc, kindAnchor: kindAnchor, expanded: map[string]string{}}
}

// topLevelOrder puts the fields every object has first, as Kubernetes
// documentation does.
var topLevelOrder = []string{"apiVersion", "kind", "metadata", "spec", "status"}

// walkObject lists the properties of object s (and what they expand to).
func (w *fieldWalker) walkObject(s *schema, parentPath string, depth int) []Field {
	if s == nil || depth > maxFieldDepth {
		return nil
	}
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if depth == 0 {
			ra, rb := rank(a), rank(b)
			if ra != rb {
				return ra - rb
			}
		}
		return strings.Compare(a, b)
	})

	var fields []Field
	for _, name := range names {
		prop := s.Properties[name]
		path := name
		if parentPath != "" {
			path = parentPath + "." + name
		}
		f := Field{
			Path:        path,
			Name:        name,
			Depth:       depth,
			Required:    slices.Contains(s.Required, name),
			Description: w.description(prop),
			Default:     defaultText(prop.Default),
		}
		children := w.describeType(&f, prop, path, depth)
		fields = append(fields, f)
		fields = append(fields, children...)
	}
	return fields
}

// rank orders the standard top-level fields before all others.
func rank(name string) int {
	if i := slices.Index(topLevelOrder, name); i >= 0 {
		return i
	}
	return len(topLevelOrder)
}

// description is the field's own description, else its named type's.
func (w *fieldWalker) description(s *schema) string {
	if s.Description != "" {
		return s.Description
	}
	if name := refName(s); name != "" && !isUpstream(name) {
		if target := w.doc.lookup(name); target != nil {
			return target.Description
		}
	}
	return ""
}

// describeType fills f.Type (and Enum, Anchor) and returns the fields the
// type expands to: those of a named or inline object, through arrays and
// maps.
func (w *fieldWalker) describeType(f *Field, s *schema, path string, depth int) []Field {
	for range maxFieldDepth {
		if s == nil {
			f.Type.Name = "any"
			return nil
		}
		if name := refName(s); name != "" {
			return w.describeNamed(f, name, path, depth)
		}
		switch {
		case s.Type == "array":
			f.Type.Prefix += "[]"
			path += "[*]"
			s = s.Items
			continue
		case s.Type == "object" && len(s.Properties) == 0 && s.AdditionalProperties != nil:
			f.Type.Prefix += "map[string]"
			path += ".<key>"
			s = s.AdditionalProperties
			continue
		case len(s.Properties) > 0:
			f.Type.Name = "object"
			return w.walkObject(s, path, depth+1)
		}
		f.Type.Name = primitiveName(s)
		f.Enum = enumValues(s.Enum)
		return nil
	}
	f.Type.Name = "any"
	return nil
}

// describeNamed handles a field whose type is the component name.
func (w *fieldWalker) describeNamed(f *Field, name, path string, depth int) []Field {
	if isUpstream(name) {
		f.Type.Name = shortName(name)
		f.Type.Link = upstreamURL(name)
		return nil
	}
	target := w.doc.lookup(name)
	if target == nil {
		f.Type.Name = shortName(name)
		return nil
	}
	if len(target.Properties) == 0 {
		// A named string, number or map: show what it is made of.
		f.Type.Name = shortName(name) + " (" + primitiveName(target) + ")"
		if target.Type == "array" || target.AdditionalProperties != nil {
			f.Type.Name = shortName(name)
		}
		f.Enum = enumValues(target.Enum)
		return nil
	}
	f.Type.Name = shortName(name)
	if anchor, ok := w.expanded[name]; ok {
		f.Type.Link = "#" + anchor
		return nil
	}
	anchor := slug(w.kindAnchor + "-" + path)
	w.expanded[name] = anchor
	f.Anchor = anchor
	f.Type.Link = "#" + anchor
	return w.walkObject(target, path, depth+1)
}

// primitiveName is a scalar type as shown: "string", "integer (int64)".
func primitiveName(s *schema) string {
	switch {
	case s.IntOrString:
		return "int-or-string"
	case s.Type == "":
		return "any"
	case s.Format != "":
		return s.Type + " (" + s.Format + ")"
	}
	return s.Type
}

// enumValues shows strings bare and everything else as JSON, sorted.
func enumValues(raw []json.RawMessage) []string {
	var out []string
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, compactJSON(r))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// defaultText returns a default as compact JSON, "" for a zero value:
// openapi-gen writes "" and false for every non-pointer field, which says
// nothing a reader needs.
func defaultText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	text := compactJSON(raw)
	switch text {
	case "null", `""`, "0", "false", "{}", "[]":
		return ""
	}
	return text
}

func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}
