package oauth2flowstest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every refusal the handlers make has its own Entra code in entraCodes, not
// only the fallback of its error: the test reads the descriptions out of
// the source, so a new refusal without a code fails here.
func TestEntraCodesCoverEveryRefusal(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var descs []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && strings.HasPrefix(id.Name, "err") && len(n.Args) > 0 {
					if d, ok := leadingString(n.Args[0]); ok {
						descs = append(descs, d)
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "description" {
					if d, ok := leadingString(n.Value); ok {
						descs = append(descs, d)
					}
				}
			}
			return true
		})
	}
	require.Greater(t, len(descs), 60, "the parser found the refusals")
	for _, d := range descs {
		listed := false
		for _, c := range entraCodes {
			if strings.HasPrefix(d, c.prefix) || strings.HasPrefix(c.prefix, d) && d != "" {
				listed = c.code.aadsts != 0
				break
			}
		}
		assert.True(t, listed, "no AADSTS code for refusal %q", d)
	}
}

// leadingString is the string literal an expression starts with: "x" or
// "x" + y.
func leadingString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.BinaryExpr:
		return leadingString(e.X)
	case *ast.CallExpr: // fmt.Sprintf("...", ...)
		if len(e.Args) > 0 {
			s, ok := leadingString(e.Args[0])
			if i := strings.Index(s, "%"); ok && i >= 0 {
				s = s[:i]
			}
			return s, ok
		}
	}
	return "", false
}
