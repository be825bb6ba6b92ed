package docs

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the repository root, seen from this package's directory.
const root = ".."

var (
	// mdFile is a Markdown file named in text: a bare name or a path.
	mdFile = regexp.MustCompile(`(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-]+\.md\b`)
	// section is a § reference; every one means a section of docs/DOMAIN.md.
	section = regexp.MustCompile(`§\s*(\d+)`)
	// quoted is a section named after its file: docs/API.md "Lists" or
	// docs/DESIGN.md ("The journal").
	quoted = regexp.MustCompile(`((?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-]+\.md)[,:]?\s*\(?"([^"]+)"`)
	// domainHeading is a numbered section of DOMAIN.md, a second-level
	// heading that starts with its number and a full stop.
	domainHeading = regexp.MustCompile(`^## (\d+)\. `)
	// mdLink is a Markdown link target.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// citation is one piece of text that may cite the docs: a Go comment or
// a Markdown file, with where it is.
type citation struct {
	file string // relative to root
	line int
	text string
}

func TestGoComments_CiteDocsThatExist(t *testing.T) {
	sections := domainSections(t)
	comments := goComments(t)
	require.NotEmpty(t, comments)
	cited := 0
	for _, c := range comments {
		cited += checkCitation(t, c, sections)
	}
	// The domain package alone cites DOMAIN.md dozens of times; far fewer
	// means the walk missed the tree.
	assert.Greater(t, cited, 50, "citations found in Go comments")
}

func TestMarkdown_CitesDocsThatExist(t *testing.T) {
	sections := domainSections(t)
	for _, c := range markdownFiles(t) {
		checkCitation(t, c, sections)
		for _, m := range mdLink.FindAllStringSubmatch(c.text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(root, filepath.Dir(c.file), target)); err != nil {
				t.Errorf("%s:%d: link to %s, which does not exist", c.file, c.line, m[1])
			}
		}
	}
}

func TestDomainSections_AreNumberedInOrder(t *testing.T) {
	sections := domainSections(t)
	for n := 1; n <= 12; n++ {
		assert.True(t, sections[n], "docs/DOMAIN.md has no section %d: code comments cite §1 to §12", n)
	}
}

// checkCitation reports every Markdown file c names that does not exist
// (beside c's file or from the root), every § that is not a section of
// DOMAIN.md and every quoted section that is not a heading of its file,
// and returns how many citations it checked.
func checkCitation(t *testing.T, c citation, sections map[int]bool) int {
	t.Helper()
	n := 0
	for _, name := range mdFile.FindAllString(c.text, -1) {
		n++
		if resolve(c.file, name) == "" {
			t.Errorf("%s:%d: cites %s, which is not in the repository", c.file, c.line, name)
		}
	}
	for _, m := range section.FindAllStringSubmatch(c.text, -1) {
		n++
		num, _ := strconv.Atoi(m[1])
		if !sections[num] {
			t.Errorf("%s:%d: cites §%d, which is not a section of docs/DOMAIN.md", c.file, c.line, num)
		}
	}
	for _, m := range quoted.FindAllStringSubmatch(c.text, -1) {
		path := resolve(c.file, m[1])
		if path == "" {
			continue // reported above
		}
		n++
		if !hasHeading(t, path, m[2]) {
			t.Errorf("%s:%d: cites %s %q, which is not a heading there", c.file, c.line, m[1], m[2])
		}
	}
	return n
}

// resolve finds the Markdown file name cites from file: beside it, or
// from the repository root; "" when it is neither.
func resolve(file, name string) string {
	for _, p := range []string{filepath.Join(root, filepath.Dir(file), name), filepath.Join(root, name)} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// hasHeading reports whether the Markdown file at path has a heading that
// starts with title.
func hasHeading(t *testing.T, path, title string) bool {
	t.Helper()
	for _, l := range lines(t, path) {
		if strings.HasPrefix(l, "#") && strings.HasPrefix(strings.TrimSpace(strings.TrimLeft(l, "#")), title) {
			return true
		}
	}
	return false
}

// domainSections are the numbers of the sections of docs/DOMAIN.md.
func domainSections(t *testing.T) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	for _, l := range lines(t, filepath.Join(root, "docs", "DOMAIN.md")) {
		if m := domainHeading.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			out[n] = true
		}
	}
	require.NotEmpty(t, out, "docs/DOMAIN.md has no numbered sections")
	return out
}

// goComments returns every comment of every Go file of the repository,
// one citation per comment line (a § reference split over two lines of
// one comment is rare, and "docs/DOMAIN.md\n// §4" then still checks both).
func goComments(t *testing.T) []citation {
	t.Helper()
	var out []citation
	fset := token.NewFileSet()
	walk(t, func(rel string) {
		if !strings.HasSuffix(rel, ".go") {
			return
		}
		f, err := parser.ParseFile(fset, filepath.Join(root, rel), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("parse %s: %v", rel, err)
			return
		}
		for _, g := range f.Comments {
			for _, c := range g.List {
				line := fset.Position(c.Slash).Line
				for i, text := range strings.Split(c.Text, "\n") {
					out = append(out, citation{file: rel, line: line + i, text: text})
				}
			}
		}
	})
	return out
}

// markdownFiles returns every line of every Markdown file of the
// repository outside testdata.
func markdownFiles(t *testing.T) []citation {
	t.Helper()
	var out []citation
	walk(t, func(rel string) {
		if !strings.HasSuffix(rel, ".md") {
			return
		}
		for i, l := range lines(t, filepath.Join(root, rel)) {
			out = append(out, citation{file: rel, line: i + 1, text: l})
		}
	})
	return out
}

// walk calls visit with the path, relative to root, of every file of the
// repository's tree, skipping hidden directories, testdata and data dirs.
func walk(t *testing.T, visit func(rel string)) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data" || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		visit(filepath.ToSlash(rel))
		return nil
	})
	require.NoError(t, err)
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		out = append(out, s.Text())
	}
	require.NoError(t, s.Err())
	return out
}
