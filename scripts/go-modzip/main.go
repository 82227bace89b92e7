// Command go-modzip publishes a module directory into a file-based Go module proxy
// (GOPROXY=file://DIR): <escaped path>/@v/list, <version>.info, .mod and .zip, the zip made by
// golang.org/x/mod/zip so it follows the same rules as the one the go command would fetch.
//
//	go run . -proxy DIR -module PATH -version vX.Y.Z -dir MODULE_DIR
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

func main() {
	proxy := flag.String("proxy", "", "proxy root directory")
	path := flag.String("module", "", "module path")
	version := flag.String("version", "", "semantic version, vX.Y.Z")
	dir := flag.String("dir", "", "module directory (holds go.mod)")
	flag.Parse()
	if err := publish(*proxy, *path, *version, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "go-modzip:", err)
		os.Exit(1)
	}
}

func publish(proxy, path, version, dir string) error {
	if proxy == "" || path == "" || version == "" || dir == "" {
		return fmt.Errorf("-proxy, -module, -version and -dir are required")
	}
	mv := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		return err
	}
	if semver.Canonical(version) != version {
		return fmt.Errorf("version %q is not canonical", version)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	// The proxy serves the go.mod the zip holds; its module line must name this path.
	if got := modfile.ModulePath(gomod); got != path {
		return fmt.Errorf("%s/go.mod declares module %q, not %q", dir, got, path)
	}
	escPath, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	escVer, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	at := filepath.Join(proxy, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}

	// Report files the zip rules leave out, so a missing library is seen here, not in go get.
	cf, err := modzip.CheckDir(dir)
	if err != nil {
		return err
	}
	for _, o := range cf.Omitted {
		fmt.Fprintf(os.Stderr, "go-modzip: omitted %s: %v\n", o.Path, o.Err)
	}
	var zbuf bytes.Buffer
	if err := modzip.CreateFromDir(&zbuf, mv, dir); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		escVer + ".zip":  zbuf.Bytes(),
		escVer + ".mod":  gomod,
		escVer + ".info": info,
	} {
		if err := writeAtomic(filepath.Join(at, name), data); err != nil {
			return err
		}
	}

	listPath := filepath.Join(at, "list")
	old, err := os.ReadFile(listPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	versions := strings.Fields(string(old))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	if err := writeAtomic(listPath, []byte(strings.Join(versions, "\n")+"\n")); err != nil {
		return err
	}
	fmt.Printf("go-modzip: %s@%s -> %s (%d files, %d bytes zipped)\n", path, version, at, len(cf.Valid), zbuf.Len())
	return nil
}

func writeAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
