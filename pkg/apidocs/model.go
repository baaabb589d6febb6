package apidocs

// Page is the reference of one API group, ready to render.
type Page struct {
	// Group is the API group's name, e.g. "wardle.example.com".
	Group string
	// Versions are sorted with the preferred version first, then by
	// Kubernetes version priority (v2, v1, v1beta1, v1alpha1).
	Versions []VersionDoc
}

// VersionDoc is one served version of a group.
type VersionDoc struct {
	Version   string
	Preferred bool
	// Anchor is the id of the version's heading on the page.
	Anchor string
	// Kinds are sorted by kind name.
	Kinds []KindDoc
}

// KindDoc is one resource of a version.
type KindDoc struct {
	Kind string
	// Resource is the plural resource name in REST paths, e.g. "flunders".
	Resource   string
	Namespaced bool
	// Description comes from the Go doc comment of the kind's type.
	Description string
	// ListKind is the kind of the resource's list, e.g. "FlunderList"; ""
	// when the document has none.
	ListKind string
	// Verbs are the Kubernetes verbs the resource answers, in the usual
	// order: get, list, watch, create, update, patch, delete, deletecollection.
	Verbs []string
	// Subresources are sorted, e.g. ["scale", "status"].
	Subresources []string
	// Endpoints are sorted by path, then by method.
	Endpoints []Endpoint
	// Fields are depth-first, siblings sorted (apiVersion, kind, metadata,
	// spec, status first at the top).
	Fields []Field
	// Anchor is the id of the kind's heading on the page.
	Anchor string
}

// Endpoint is one HTTP operation of a resource.
type Endpoint struct {
	Method string
	Path   string
	// Verb is the Kubernetes verb of the operation (create for POST, ...),
	// else its x-kubernetes-action.
	Verb string
	// Description is the operation's own description.
	Description string
}

// Field is one field of a kind, at any depth.
type Field struct {
	// Path is the field's JSON path from the object, e.g. "spec.reference";
	// array elements add "[*]" and map values ".<key>".
	Path string
	// Name is the last element of Path, Depth the number of parents.
	Name  string
	Depth int
	// Anchor is set on the row where a named type is expanded, so that
	// other rows can link to it.
	Anchor      string
	Type        TypeRef
	Required    bool
	Description string
	// Enum lists the allowed values as written in JSON-less text, sorted.
	Enum []string
	// Default is the default as JSON, "" when there is none worth showing.
	Default string
}

// TypeRef is how a field's type is shown: Prefix, then Name linked to Link.
type TypeRef struct {
	// Prefix is "[]" for arrays and "map[string]" for maps, nested as
	// needed ("[][]", "map[string][]").
	Prefix string
	// Name is a primitive ("string", "integer (int64)") or a type name.
	Name string
	// Link is "#anchor" for a type expanded on this page, an absolute URL
	// for a Kubernetes type, "" for primitives.
	Link string
}

// String is the type in one piece, without the link.
func (t TypeRef) String() string { return t.Prefix + t.Name }
