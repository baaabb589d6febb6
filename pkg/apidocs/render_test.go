package apidocs

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func shopPage(t *testing.T) *Page {
	t.Helper()
	page, err := BuildPage(shopDocs(""))
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func TestRenderMarkdown(t *testing.T) {
	md := string(RenderMarkdown(shopPage(t)))
	tests := []struct {
		name, want string
	}{
		{"title", "# shop.example.com API reference\n"},
		{"versions, preferred first", "Versions: [v1](#v1) (preferred), [v1alpha1](#v1alpha1)\n"},
		{"kind anchor", "<a id=\"v1-order\"></a>\n\n### Order\n"},
		{"description escaped, paragraphs kept", "Order is &lt;b&gt;one&lt;/b&gt; purchase \\| with a pipe.\n\nSecond paragraph.\n"},
		{"scope", "| Scope | Cluster |\n"},
		{"verbs", "| Verbs | get, list, watch, create, delete |\n"},
		{"path", "| POST | `/apis/shop.example.com/v1/namespaces/{namespace}/orders` | create |\n"},
		{"expanded type anchored", "| <a id=\"v1-order-spec\"></a>`spec` | [OrderSpec](#v1-order-spec) |"},
		{"enum, default and required", "| `spec.priority` | string | yes | Priority of the order.<br><br>Allowed values: `high`, `low`<br><br>Default: `\"low\"` |\n"},
		{"cycle links back", "| `spec.tree.next` | [Node](#v1-order-spec-tree) |"},
		{"map of a named type", "| <a id=\"v1-order-spec-bywarehouse-key\"></a>`spec.byWarehouse` | map\\[string\\][Part](#v1-order-spec-bywarehouse-key) |"},
		{"upstream metadata", "[ObjectMeta](https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/#ObjectMeta)"},
		{"list kind", "| List kind | `OrderList`, a [standard list](" + listConceptsURL + ") of Order |\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(md, tt.want) {
				t.Errorf("Markdown lacks %q; got:\n%s", tt.want, md)
			}
		})
	}
	if strings.Contains(md, "<b>") {
		t.Errorf("a description's HTML reached the Markdown unescaped")
	}
}

func TestRenderHTML(t *testing.T) {
	out, err := RenderHTML(shopPage(t))
	if err != nil {
		t.Fatal(err)
	}
	page := string(out)
	for _, want := range []string{
		`<h3 id="v1-order">Order`,
		`<p>Order is &lt;b&gt;one&lt;/b&gt; purchase | with a pipe.</p>`,
		`<p>Second paragraph.</p>`,
		`<tr id="v1-order-spec">`,
		`<a href="#v1-order-spec-tree">Node</a>`,
		`<p>Allowed values: <code>high</code>, <code>low</code></p>`,
		`<tr><th>Scope</th><td>Cluster</td></tr>`,
		`<style>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	checkHTML(t, out)
}

// checkHTML parses a page and checks that it is one well-formed,
// self-contained document: every element closed in order, no markup from
// the documents' text, no scripts or external styles, every #link landing
// on an id.
func checkHTML(t *testing.T, page []byte) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "link": true, "img": true, "hr": true}
	var open, ids, links []string
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "b", "script", "link", "iframe":
				t.Errorf("unexpected <%s> element", tok.Data)
			}
			for _, a := range tok.Attr {
				if a.Key == "id" {
					ids = append(ids, a.Val)
				}
				if a.Key == "href" && strings.HasPrefix(a.Val, "#") {
					links = append(links, a.Val[1:])
				}
			}
			if tt == html.StartTagToken && !void[tok.Data] {
				open = append(open, tok.Data)
			}
		case html.EndTagToken:
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) != 0 {
		t.Errorf("unclosed elements %v", open)
	}
	slices.Sort(ids)
	if dup := slices.Compact(slices.Clone(ids)); len(dup) != len(ids) {
		t.Errorf("duplicate ids in %v", ids)
	}
	for _, l := range links {
		if _, found := slices.BinarySearch(ids, l); !found {
			t.Errorf("link #%s has no target", l)
		}
	}
	if _, err := html.Parse(bytes.NewReader(page)); err != nil {
		t.Errorf("parse HTML: %v", err)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	other := GroupDocs{Group: "another.example.com", OpenAPI: map[string][]byte{"v1alpha1": []byte(strings.ReplaceAll(shopV1alpha1, "shop.example.com", "another.example.com"))}}
	write := func(dir string) map[string][]byte {
		pages, err := BuildPages([]GroupDocs{shopDocs(""), other})
		if err != nil {
			t.Fatal(err)
		}
		files, err := Write(dir, pages, []Format{FormatMarkdown, FormatHTML})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = data
		}
		return out
	}
	first, second := write(t.TempDir()), write(t.TempDir())
	var names []string
	for name := range first {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"another.example.com.html", "another.example.com.md", "index.html", "index.md", "shop.example.com.html", "shop.example.com.md"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for _, name := range names {
		if !bytes.Equal(first[name], second[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	index := string(first["index.md"])
	if !strings.Contains(index, "| [another.example.com](another.example.com.md) | [v1alpha1](another.example.com.md#v1alpha1) | Catalog |\n| [shop.example.com](shop.example.com.md) | [v1](shop.example.com.md#v1), [v1alpha1](shop.example.com.md#v1alpha1) | Catalog, Order |") {
		t.Errorf("index.md:\n%s", index)
	}
	if !strings.Contains(string(first["index.html"]), `<a href="shop.example.com.html#v1alpha1">v1alpha1</a>`) {
		t.Errorf("index.html lacks the link to shop's v1alpha1:\n%s", first["index.html"])
	}
	checkHTML(t, first["index.html"])
	checkHTML(t, first["another.example.com.html"])
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		in      string
		want    []Format
		wantErr bool
	}{
		{in: "markdown,html", want: []Format{FormatMarkdown, FormatHTML}},
		{in: " HTML ", want: []Format{FormatHTML}},
		{in: "markdown,markdown", want: []Format{FormatMarkdown}},
		{in: "pdf", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormats(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
