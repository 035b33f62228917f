// Command excoverage prints, for each package directory given, how many of its
// exported functions, types and methods have a runnable Example in godoc, and
// fails when a package is under -min percent.
//
//	go run ./excoverage -min 60 ../.. ../../oauth2flowstest ../../redisstore
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	min := flag.Float64("min", 0, "the lowest percentage a package may have")
	verbose := flag.Bool("v", false, "list the names without an example")
	flag.Parse()
	failed := false
	for _, dir := range flag.Args() {
		with, all, missing, err := coverage(dir)
		if err != nil {
			log.Fatalf("excoverage: %s: %v", dir, err)
		}
		pct := 100 * float64(with) / float64(max(all, 1))
		fmt.Printf("%-40s %3d of %3d exported functions, types and methods have an Example: %5.1f%%\n", dir, with, all, pct)
		if *verbose {
			fmt.Printf("    without: %s\n", strings.Join(missing, " "))
		}
		if pct < *min {
			failed = true
		}
	}
	if failed {
		fmt.Printf("a package is under %.0f%%\n", *min)
		os.Exit(1)
	}
}

// coverage counts the exported names of the package in dir (functions, types,
// and methods of exported types) and those with at least one Example.
func coverage(dir string) (with, all int, missing []string, err error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, nil, err
	}
	var files, tests []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return 0, 0, nil, err
		}
		if strings.HasSuffix(name, "_test.go") {
			tests = append(tests, f)
		} else if f.Name.Name != "main" {
			files = append(files, f)
		}
	}
	pkg, err := doc.NewFromFiles(fset, append(files, tests...), "example.com/"+filepath.Base(dir))
	if err != nil {
		return 0, 0, nil, err
	}
	count := func(name string, examples []*doc.Example) {
		all++
		if len(examples) > 0 {
			with++
		} else {
			missing = append(missing, name)
		}
	}
	for _, f := range pkg.Funcs {
		count(f.Name, f.Examples)
	}
	for _, t := range pkg.Types {
		count(t.Name, t.Examples)
		for _, f := range t.Funcs {
			count(f.Name, f.Examples)
		}
		for _, m := range t.Methods {
			count(t.Name+"."+m.Name, m.Examples)
		}
	}
	sort.Strings(missing)
	return with, all, missing, nil
}
