package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/aggkit/aggkit/pkg/apidocs"
)

// buildDocsOptions are the flags of `aggkit build docs`.
type buildDocsOptions struct {
	dir     string
	output  string
	formats string
}

func newBuildDocsCommand() *cobra.Command {
	o := buildDocsOptions{dir: ".", output: filepath.Join("docs", "api"), formats: "markdown,html"}
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Write the API reference of the project's server, one page per API group",
		Long: `Write an API reference from the OpenAPI v3 documents the project's server serves.

The command builds the server (go build, generated code must be up to date), starts it
standalone on loopback with an in-memory store and a throw-away client CA, reads
/openapi/v3 and each group/version's document, and stops it. It then writes one page per
API group (<group>.md, <group>.html) and an index (index.md, index.html): the versions
(preferred first), each kind with its scope, REST paths and verbs, and every field with its
type, whether it is required, its description (from the Go doc comments), enum values and
default. Kubernetes' own types (ObjectMeta, ListMeta, ...) link to the upstream reference.

The HTML pages are self-contained (inline CSS, no scripts). Output is sorted, so running
the command again gives identical files. --output is relative to --dir.`,
		Example: `  # In a project folder: docs/api/<group>.md and .html, and index pages
  aggkit build docs

  # The sample server, Markdown only
  aggkit build docs --dir examples/wardle --format markdown`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBuildDocs(cmd, o)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", o.dir, "The project: the Go main package of the server.")
	cmd.Flags().StringVar(&o.output, "output", o.output, "Directory to write the pages to, relative to --dir unless absolute.")
	cmd.Flags().StringVar(&o.formats, "format", o.formats, "Comma-separated output formats: markdown, html.")
	return cmd
}

func runBuildDocs(cmd *cobra.Command, o buildDocsOptions) error {
	formats, err := apidocs.ParseFormats(o.formats)
	if err != nil {
		return err
	}
	output := o.output
	if !filepath.IsAbs(output) {
		output = filepath.Join(o.dir, output)
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	// Ctrl-C stops the build or the server cleanly instead of leaving it running.
	ctx, stop := signal.NotifyContext(parent, os.Interrupt)
	defer stop()

	out := cmd.OutOrStdout()
	groups, err := apidocs.FetchFromProject(ctx, apidocs.FetchOptions{Dir: o.dir, Progress: out})
	if err != nil {
		return err
	}
	pages, err := apidocs.BuildPages(groups)
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(out, "==> writing %d pages to %s\n", (len(pages)+1)*len(formats), output)
	files, err := apidocs.Write(output, pages, formats)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(out, "    %s\n", f)
	}
	fmt.Fprintf(out, "    done (%.1fs)\n", time.Since(start).Seconds())
	return nil
}
