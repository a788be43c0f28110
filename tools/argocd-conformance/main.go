// Command argocd-conformance renders the conformance cases with the real Go
// text/template, Sprig and Argo CD's own template functions, and writes what
// Argo CD's ApplicationSet controller would produce for each case.
//
// Usage: go run . -cases ../../tests/data/argocd_conformance/cases.json \
//
//	-out ../../tests/data/argocd_conformance/results.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gosimple/slug"
	"sigs.k8s.io/yaml"
)

// The function map as Argo CD builds it in applicationset/utils/utils.go
// (init): Sprig's generic map without env, expandenv and getHostByName, plus
// Argo CD's normalize, slugify, toYaml, fromYaml and fromYamlArray.
func argoFuncMap() template.FuncMap {
	funcs := sprig.GenericFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	delete(funcs, "getHostByName")
	funcs["normalize"] = sanitizeName
	funcs["slugify"] = slugifyName
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["fromYamlArray"] = fromYAMLArray
	return template.FuncMap(funcs)
}

// sanitizeName is Argo CD's SanitizeName (applicationset/utils/template_functions.go).
func sanitizeName(name string) string {
	invalidDNSNameChars := regexp.MustCompile("[^-a-z0-9.]")
	maxDNSNameLength := 253

	name = strings.ToLower(name)
	name = invalidDNSNameChars.ReplaceAllString(name, "-")
	if len(name) > maxDNSNameLength {
		name = name[:maxDNSNameLength]
	}

	return strings.Trim(name, "-.")
}

// slugifyName is Argo CD's SlugifyName (applicationset/utils/utils.go); the
// "Bad 'slugify' arguments" log line is left out.
func slugifyName(args ...any) string {
	maxSize := 50
	enableSmartTruncate := true
	name := ""

	for idx, arg := range args {
		switch idx {
		case len(args) - 1:
			name = arg.(string)
		case 0:
			maxSize = arg.(int)
		case 1:
			enableSmartTruncate = arg.(bool)
		}
	}

	sanitizedName := sanitizeName(name)
	slug.EnableSmartTruncate = enableSmartTruncate
	slug.MaxLength = maxSize
	return slug.Make(sanitizedName)
}

// toYAML, fromYAML and fromYAMLArray are Argo CD's (applicationset/utils/template_functions.go).
func toYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

func fromYAML(str string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		return nil, err
	}
	return m, nil
}

func fromYAMLArray(str string) ([]any, error) {
	a := []any{}
	if err := yaml.Unmarshal([]byte(str), &a); err != nil {
		return nil, err
	}
	return a, nil
}

// Case is one template rendered on one parameter set, as Render.Replace does.
type Case struct {
	ID       string         `json:"id"`
	Area     string         `json:"area"`
	Template string         `json:"template"`
	Data     map[string]any `json:"data"`
	Options  []string       `json:"options,omitempty"`
}

// Result is what Argo CD makes of a case: the output, or an error class
// ("parse" or "exec") with Go's message.
type Result struct {
	ID      string  `json:"id"`
	Output  *string `json:"output,omitempty"`
	Error   string  `json:"error,omitempty"`
	Message string  `json:"message,omitempty"`
}

var baseTemplate = template.New("base").Funcs(argoFuncMap())

// render mirrors Render.Replace in applicationset/utils/utils.go for goTemplate: true.
func render(c Case) (result Result) {
	result.ID = c.ID
	defer func() {
		if r := recover(); r != nil {
			result.Output = nil
			result.Error = "exec"
			result.Message = fmt.Sprint("panic: ", r)
		}
	}()
	cloned, err := baseTemplate.Clone()
	if err != nil {
		panic(err)
	}
	for _, option := range c.Options {
		cloned = cloned.Option(option)
	}
	parsed, err := cloned.Parse(c.Template)
	if err != nil {
		result.Error = "parse"
		result.Message = err.Error()
		return result
	}
	var buffer bytes.Buffer
	if err := parsed.Execute(&buffer, c.Data); err != nil {
		result.Error = "exec"
		result.Message = err.Error()
		return result
	}
	output := buffer.String()
	result.Output = &output
	return result
}

func moduleVersions() map[string]string {
	versions := map[string]string{"go": runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			versions[dep.Path] = dep.Version
		}
	}
	return versions
}

func main() {
	casesPath := flag.String("cases", "cases.json", "the cases file")
	outPath := flag.String("out", "results.json", "where the results go")
	listFunctions := flag.Bool("functions", false, "print the names of the function map and stop")
	generators := flag.String("generators", "", "evaluate this file of generator cases instead (generators.go)")
	flag.Parse()

	if *generators != "" {
		if err := runGenerators(*generators, *outPath); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}

	if *listFunctions {
		names := make([]string, 0)
		for name := range argoFuncMap() {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Println(strings.Join(names, " "))
		return
	}

	raw, err := os.ReadFile(*casesPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The cases, and the parameters a case without its own renders on.
	var table struct {
		Data  map[string]any `json:"data"`
		Cases []Case         `json:"cases"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	results := make([]Result, 0, len(table.Cases))
	for _, c := range table.Cases {
		if c.Data == nil {
			// A fresh copy each time: a template may change the map it renders on (set, unset).
			var data map[string]any
			encoded, _ := json.Marshal(table.Data)
			_ = json.Unmarshal(encoded, &data)
			c.Data = data
		}
		results = append(results, render(c))
	}
	written := map[string]any{"versions": moduleVersions(), "results": results}
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(written); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*outPath, out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d cases rendered with %s\n", len(results), runtime.Version())
}
