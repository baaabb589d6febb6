// Package apidocs writes an API reference for an extension API server from
// the OpenAPI v3 documents it serves: one Markdown and one HTML page per API
// group, plus an index page.
//
// The pipeline has three steps, each usable alone:
//
//   - FetchFromProject builds a project's server, starts it standalone on
//     loopback, reads /apis and /openapi/v3/apis/<group>/<version>, and stops
//     it (source.go).
//   - BuildPage turns one group's documents into a Page: versions (preferred
//     first), kinds with scope, REST paths and verbs, and every field of each
//     kind with its type, description, enum values and default.
//   - RenderMarkdown and RenderHTML print a Page; Write does all groups and
//     the index into a directory.
//
// Output is sorted throughout, so running it twice gives identical files.
// Types from Kubernetes itself (ObjectMeta, ListMeta, Time, ...) are linked
// to the upstream reference rather than repeated.
package apidocs
