package apidocs

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The part of OpenAPI v3 the reference needs. Decoded with encoding/json
// into plain structs: the documents Kubernetes servers publish are small and
// regular, and only these fields are read.

type openAPIDoc struct {
	Paths      map[string]pathItem `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type pathItem struct {
	Get    *operation `json:"get"`
	Put    *operation `json:"put"`
	Post   *operation `json:"post"`
	Delete *operation `json:"delete"`
	Patch  *operation `json:"patch"`
}

// operations returns the item's operations by HTTP method, in a fixed order.
func (p pathItem) operations() []methodOperation {
	var out []methodOperation
	for _, m := range []methodOperation{
		{"GET", p.Get}, {"POST", p.Post}, {"PUT", p.Put}, {"PATCH", p.Patch}, {"DELETE", p.Delete},
	} {
		if m.op != nil {
			out = append(out, m)
		}
	}
	return out
}

type methodOperation struct {
	method string
	op     *operation
}

type operation struct {
	Description string            `json:"description"`
	Action      string            `json:"x-kubernetes-action"`
	GVK         *groupVersionKind `json:"x-kubernetes-group-version-kind"`
}

type groupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type schema struct {
	Ref                  string             `json:"$ref"`
	AllOf                []*schema          `json:"allOf"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Description          string             `json:"description"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *schema            `json:"items"`
	AdditionalProperties *schema            `json:"additionalProperties"`
	Enum                 []json.RawMessage  `json:"enum"`
	Default              json.RawMessage    `json:"default"`
	GVKs                 []groupVersionKind `json:"x-kubernetes-group-version-kind"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields"`
}

// UnmarshalJSON accepts additionalProperties: true/false as well as a schema.
func (s *schema) UnmarshalJSON(data []byte) error {
	if string(data) == "true" || string(data) == "false" {
		*s = schema{}
		return nil
	}
	type plain schema
	return json.Unmarshal(data, (*plain)(s))
}

func parseOpenAPI(data []byte) (*openAPIDoc, error) {
	var doc openAPIDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode OpenAPI v3 document: %w", err)
	}
	return &doc, nil
}

const schemaRefPrefix = "#/components/schemas/"

// refName returns the component name a $ref points to, "" when s is not a
// reference. Kubernetes writes a field with a default or a description of its
// own as allOf: [{$ref}], so that form counts too.
func refName(s *schema) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		return unescapePointer(strings.TrimPrefix(s.Ref, schemaRefPrefix))
	}
	if len(s.AllOf) == 1 {
		return refName(s.AllOf[0])
	}
	return ""
}

// unescapePointer undoes JSON pointer escaping (RFC 6901) of one segment.
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// shortName is a component name without its package: "Flunder" for
// "com.example.apis.v1.Flunder".
func shortName(component string) string {
	return component[strings.LastIndex(component, ".")+1:]
}

// lookup resolves a component by name.
func (d *openAPIDoc) lookup(name string) *schema {
	return d.Components.Schemas[name]
}
