// Command modproxy lays out a file-system GOPROXY holding this repository's
// published modules, zipped from a git revision exactly as the Go module
// proxy would serve them once tagged. CI points a fresh consumer module at it
// (GOPROXY=file://DIR,...) to prove that each module installs with `go get`
// on its own, with no go.work and no replace.
//
//	go run ./modproxy -repo ../.. -rev HEAD -version v0.1.0 -out /tmp/proxy . redisstore otel
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	repo := flag.String("repo", "../..", "the repository's root directory")
	rev := flag.String("rev", "HEAD", "the git revision to zip")
	version := flag.String("version", "v0.1.0", "the version every module is published as")
	out := flag.String("out", "", "the proxy directory to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		log.Fatal("usage: modproxy -out DIR [-repo DIR -rev REV -version V] MODULE_DIR...")
	}
	for _, dir := range flag.Args() {
		if err := publish(*repo, *rev, *version, *out, dir); err != nil {
			log.Fatalf("modproxy: %s: %v", dir, err)
		}
	}
}

// publish writes DIR/<module>/@v/{list,V.info,V.mod,V.zip} for the module
// whose go.mod is at subdir of repo, as committed at rev.
func publish(repo, rev, version, out, subdir string) error {
	subdir = path.Clean(filepath.ToSlash(subdir))
	gomodPath := "go.mod"
	if subdir != "." {
		gomodPath = subdir + "/go.mod"
	}
	gomod, err := exec.Command("git", "-C", repo, "show", rev+":"+gomodPath).Output()
	if err != nil {
		return fmt.Errorf("git show %s:%s: %w", rev, gomodPath, err)
	}
	mf, err := modfile.ParseLax(gomodPath, gomod, nil)
	if err != nil {
		return err
	}
	if len(mf.Replace) > 0 {
		return fmt.Errorf("go.mod has a replace directive: users' builds would ignore it")
	}
	for _, r := range mf.Require {
		if strings.HasPrefix(r.Mod.Version, "v0.0.0-00010101000000-") {
			return fmt.Errorf("go.mod requires %s at a zero pseudo-version", r.Mod.Path)
		}
	}
	mv := module.Version{Path: mf.Module.Mod.Path, Version: version}
	escaped, err := module.EscapePath(mv.Path)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var zbuf bytes.Buffer
	vcsSub := subdir
	if vcsSub == "." {
		vcsSub = ""
	}
	if err := zip.CreateFromVCS(&zbuf, mv, repo, rev, vcsSub); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	files := map[string][]byte{
		version + ".zip":  zbuf.Bytes(),
		version + ".mod":  gomod,
		version + ".info": info,
		"list":            []byte(version + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("published %s@%s (%d-byte zip)\n", mv.Path, version, zbuf.Len())
	return nil
}
