package main

// The generator cases: what Argo CD's matrix, merge and git generators make of
// parameter sets, each function copied from argo-cd's applicationset/ (the
// file and function named above it) with only the repo-server and Kubernetes
// client calls taken out, and the modules they call (mergo, fasttemplate,
// flatten, sigs.k8s.io/yaml) at the versions Argo CD pins.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"dario.cat/mergo"
	"github.com/jeremywohl/flatten"
	"github.com/valyala/fasttemplate"
	"sigs.k8s.io/yaml"
)

// GeneratorCase is one generator evaluation; Area says which fields it uses.
type GeneratorCase struct {
	ID         string            `json:"id"`
	Area       string            `json:"area"`
	GoTemplate bool              `json:"goTemplate"`
	Options    []string          `json:"options,omitempty"`
	First      []map[string]any  `json:"first,omitempty"`
	Second     []map[string]any  `json:"second,omitempty"`
	Generators [][]map[string]any `json:"generators,omitempty"`
	MergeKeys  []string          `json:"mergeKeys,omitempty"`
	Values     map[string]string `json:"values,omitempty"`
	Patterns   []DirectoryItem   `json:"patterns,omitempty"`
	Paths      []string          `json:"paths,omitempty"`
	File       string            `json:"file,omitempty"`
	Content    string            `json:"content,omitempty"`
	Prefix     string            `json:"prefix,omitempty"`
	Text       string            `json:"text,omitempty"`
	Selector   *LabelSelector    `json:"selector,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
}

// DirectoryItem is a GitDirectoryGeneratorItem.
type DirectoryItem struct {
	Path    string `json:"path"`
	Exclude bool   `json:"exclude,omitempty"`
}

// LabelSelector is metav1.LabelSelector's JSON.
type LabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels,omitempty"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values,omitempty"`
	} `json:"matchExpressions,omitempty"`
}

// GeneratorResult is the output (any JSON) or Go's error.
type GeneratorResult struct {
	ID      string `json:"id"`
	Output  any    `json:"output,omitempty"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
}

// isTemplatedRegex and replace: Render.Replace (applicationset/utils/utils.go).
var isTemplatedRegex = regexp.MustCompile(".*{{.*}}.*")

func replace(tmpl string, replaceMap map[string]any, useGoTemplate bool, options []string) (string, error) {
	if useGoTemplate {
		result := render(Case{Template: tmpl, Data: replaceMap, Options: options})
		if result.Error != "" {
			what := "failed to execute go template"
			if result.Error == "parse" {
				what = "failed to parse template"
			}
			return "", fmt.Errorf("%s %s: %s", what, tmpl, result.Message)
		}
		return *result.Output, nil
	}
	if !isTemplatedRegex.MatchString(tmpl) {
		return tmpl, nil
	}
	fstTmpl, err := fasttemplate.NewTemplate(tmpl, "{{", "}}")
	if err != nil {
		return "", fmt.Errorf("invalid template: %w", err)
	}
	return fstTmpl.ExecuteFuncString(func(w io.Writer, tag string) (int, error) {
		trimmedTag := strings.TrimSpace(tag)
		replacement, ok := replaceMap[trimmedTag].(string)
		if trimmedTag == "" || !ok {
			return fmt.Fprintf(w, "{{%s}}", tag)
		}
		return w.Write([]byte(replacement))
	}), nil
}

// combineStringMaps: CombineStringMaps (applicationset/utils/map.go).
func combineStringMaps(aSI map[string]any, bSI map[string]any) (map[string]any, error) {
	a := map[string]string{}
	for key, value := range aSI {
		a[key] = fmt.Sprintf("%v", value)
	}
	b := map[string]string{}
	for key, value := range bSI {
		b[key] = fmt.Sprintf("%v", value)
	}
	res := map[string]any{}
	for k, v := range a {
		res[k] = v
	}
	for k, v := range b {
		current, present := res[k]
		if present && current != v {
			return nil, fmt.Errorf("found duplicate key %s with different value, a: %s ,b: %s", k, current, v)
		}
		res[k] = v
	}
	return res, nil
}

// matrix: the loop of MatrixGenerator.GenerateParams (applicationset/generators/matrix.go),
// the second generator's parameter sets given per set of the first (second[i] for first[i]
// when the case gives values, else second for each).
func matrix(c GeneratorCase, second func(a map[string]any) ([]map[string]any, error)) ([]map[string]any, error) {
	res := []map[string]any{}
	for _, a := range c.First {
		g1, err := second(a)
		if err != nil {
			return nil, fmt.Errorf("failed to get params for second generator in the matrix generator: %w", err)
		}
		for _, b := range g1 {
			if c.GoTemplate {
				tmp := map[string]any{}
				if err := mergo.Merge(&tmp, b, mergo.WithOverride); err != nil {
					return nil, err
				}
				if err := mergo.Merge(&tmp, a, mergo.WithOverride); err != nil {
					return nil, err
				}
				res = append(res, tmp)
			} else {
				val, err := combineStringMaps(a, b)
				if err != nil {
					return nil, fmt.Errorf("failed to combine string maps with merging params for the matrix generator: %w", err)
				}
				res = append(res, val)
			}
		}
	}
	return res, nil
}

// isMissingKeyError and resolveValues: RenderGeneratorParams' filter for Values
// (applicationset/utils/utils.go).
func isMissingKeyError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "map has no entry for key") || strings.Contains(msg, "can't evaluate field")
}

func resolveValues(values map[string]string, params map[string]any, useGoTemplate bool, options []string) (map[string]string, error) {
	if len(params) == 0 {
		return values, nil
	}
	resolveOptions := options
	if useGoTemplate {
		stripped := make([]string, 0, len(options))
		for _, opt := range options {
			if !strings.HasPrefix(opt, "missingkey=") {
				stripped = append(stripped, opt)
			}
		}
		resolveOptions = append(stripped, "missingkey=error")
	}
	resolvedMap := make(map[string]string, len(values))
	for k, v := range values {
		resolved, err := replace(v, params, useGoTemplate, resolveOptions)
		if err != nil {
			if isMissingKeyError(err) {
				resolvedMap[k] = v
				continue
			}
			return nil, fmt.Errorf("failed to pre-resolve Values key %q: %w", k, err)
		}
		resolvedMap[k] = resolved
	}
	return resolvedMap, nil
}

// appendTemplatedValues (applicationset/generators/value_interpolation.go).
func appendTemplatedValues(values map[string]string, params map[string]any, useGoTemplate bool, options []string) error {
	tmp := map[string]any{}
	for key, value := range values {
		result, err := replace(value, params, useGoTemplate, options)
		if err != nil {
			return fmt.Errorf("failed to replace templated string: %w", err)
		}
		if useGoTemplate {
			if tmp["values"] == nil {
				tmp["values"] = map[string]string{}
			}
			tmp["values"].(map[string]string)[key] = result
		} else {
			tmp["values."+key] = result
		}
	}
	maps.Copy(params, tmp)
	return nil
}

// getParamSetsByMergeKey and the loop of MergeGenerator.GenerateParams
// (applicationset/generators/merge.go).
func getParamSetsByMergeKey(mergeKeys []string, paramSets []map[string]any) (map[string]map[string]any, error) {
	if len(mergeKeys) < 1 {
		return nil, errors.New("no merge keys were specified, Merge requires at least one")
	}
	deDuplicatedMergeKeys := make(map[string]bool, len(mergeKeys))
	for _, mergeKey := range mergeKeys {
		deDuplicatedMergeKeys[mergeKey] = false
	}
	paramSetsByMergeKey := make(map[string]map[string]any, len(paramSets))
	for _, paramSet := range paramSets {
		paramSetKey := make(map[string]any)
		for mergeKey := range deDuplicatedMergeKeys {
			paramSetKey[mergeKey] = paramSet[mergeKey]
		}
		paramSetKeyJSON, err := json.Marshal(paramSetKey)
		if err != nil {
			return nil, err
		}
		paramSetKeyString := string(paramSetKeyJSON)
		if _, exists := paramSetsByMergeKey[paramSetKeyString]; exists {
			return nil, fmt.Errorf("the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was %s", paramSetKeyString)
		}
		paramSetsByMergeKey[paramSetKeyString] = paramSet
	}
	return paramSetsByMergeKey, nil
}

func merge(c GeneratorCase) ([]map[string]any, error) {
	if len(c.Generators) < 2 {
		return nil, errors.New("found less than two generators, Merge requires two or more")
	}
	baseParamSetsByMergeKey, err := getParamSetsByMergeKey(c.MergeKeys, c.Generators[0])
	if err != nil {
		return nil, err
	}
	for _, paramSets := range c.Generators[1:] {
		paramSetsByMergeKey, err := getParamSetsByMergeKey(c.MergeKeys, paramSets)
		if err != nil {
			return nil, err
		}
		for mergeKeyValue, baseParamSet := range baseParamSetsByMergeKey {
			if overrideParamSet, exists := paramSetsByMergeKey[mergeKeyValue]; exists {
				if c.GoTemplate {
					if err := mergo.Merge(&baseParamSet, overrideParamSet, mergo.WithOverride); err != nil {
						return nil, err
					}
				} else {
					maps.Copy(baseParamSet, overrideParamSet)
				}
				baseParamSetsByMergeKey[mergeKeyValue] = baseParamSet
			}
		}
	}
	merged := make([]map[string]any, 0, len(baseParamSetsByMergeKey))
	for _, set := range baseParamSetsByMergeKey {
		merged = append(merged, set)
	}
	return sortedSets(merged), nil
}

// sortedSets orders parameter sets by their JSON: Go's map order is random.
func sortedSets(sets []map[string]any) []map[string]any {
	sort.Slice(sets, func(i, j int) bool {
		a, _ := json.Marshal(sets[i])
		b, _ := json.Marshal(sets[j])
		return string(a) < string(b)
	})
	return sets
}

// filterApps (applicationset/generators/git.go), the log line left out.
func filterApps(directories []DirectoryItem, allPaths []string) []string {
	res := []string{}
	for _, appPath := range allPaths {
		appInclude := false
		appExclude := false
		for _, requestedPath := range directories {
			match, err := path.Match(requestedPath.Path, appPath)
			if err != nil {
				continue
			}
			if match && !requestedPath.Exclude {
				appInclude = true
			}
			if match && requestedPath.Exclude {
				appExclude = true
			}
		}
		if appInclude && !appExclude {
			res = append(res, appPath)
		}
	}
	return res
}

// paramsFromGitFile: GitGenerator.generateParamsFromGitFile (applicationset/generators/git.go).
func paramsFromGitFile(filePath string, fileContent []byte, useGoTemplate bool, pathParamPrefix string) ([]map[string]any, error) {
	objectsFound := []map[string]any{}
	singleObj := map[string]any{}
	err := yaml.Unmarshal(fileContent, &singleObj)
	if err == nil {
		objectsFound = append(objectsFound, singleObj)
	} else {
		err = yaml.Unmarshal(fileContent, &objectsFound)
		if err != nil {
			return nil, fmt.Errorf("unable to parse file: %w", err)
		}
	}
	res := []map[string]any{}
	for _, objectFound := range objectsFound {
		params := map[string]any{}
		if useGoTemplate {
			maps.Copy(params, objectFound)
			paramPath := map[string]any{}
			paramPath["path"] = path.Dir(filePath)
			paramPath["basename"] = path.Base(paramPath["path"].(string))
			paramPath["filename"] = path.Base(filePath)
			paramPath["basenameNormalized"] = sanitizeName(path.Base(paramPath["path"].(string)))
			paramPath["filenameNormalized"] = sanitizeName(path.Base(paramPath["filename"].(string)))
			paramPath["segments"] = strings.Split(paramPath["path"].(string), "/")
			if pathParamPrefix != "" {
				params[pathParamPrefix] = map[string]any{"path": paramPath}
			} else {
				params["path"] = paramPath
			}
		} else {
			flat, err := flatten.Flatten(objectFound, "", flatten.DotStyle)
			if err != nil {
				return nil, fmt.Errorf("error flattening object: %w", err)
			}
			for k, v := range flat {
				params[k] = fmt.Sprintf("%v", v)
			}
			pathParamName := "path"
			if pathParamPrefix != "" {
				pathParamName = pathParamPrefix + "." + pathParamName
			}
			params[pathParamName] = path.Dir(filePath)
			params[pathParamName+".basename"] = path.Base(params[pathParamName].(string))
			params[pathParamName+".filename"] = path.Base(filePath)
			params[pathParamName+".basenameNormalized"] = sanitizeName(path.Base(params[pathParamName].(string)))
			params[pathParamName+".filenameNormalized"] = sanitizeName(path.Base(params[pathParamName+".filename"].(string)))
			for k, v := range strings.Split(params[pathParamName].(string), "/") {
				if v != "" {
					params[pathParamName+"["+strconv.Itoa(k)+"]"] = v
				}
			}
		}
		res = append(res, params)
	}
	return res, nil
}

// envsubst: Env.Envsubst (pkg/apis/application/v1alpha1/types.go).
func envsubst(s string, env map[string]string) string {
	return os.Expand(s, func(s string) string {
		if s == "$" {
			return "$"
		}
		return env[s]
	})
}

func evaluate(c GeneratorCase) (any, error) {
	switch c.Area {
	case "matrix":
		return matrix(c, func(map[string]any) ([]map[string]any, error) { return copied(c.Second), nil })
	case "values":
		// The second generator (a git or clusters generator) with values: pre-resolved with
		// the first one's parameters, then rendered with its own.
		return matrix(c, func(a map[string]any) ([]map[string]any, error) {
			resolved, err := resolveValues(c.Values, a, c.GoTemplate, c.Options)
			if err != nil {
				return nil, err
			}
			own := copied(c.Second)
			for _, params := range own {
				if err := appendTemplatedValues(resolved, params, c.GoTemplate, c.Options); err != nil {
					return nil, err
				}
			}
			return own, nil
		})
	case "merge":
		return merge(c)
	case "directories":
		return filterApps(c.Patterns, c.Paths), nil
	case "gitfile":
		return paramsFromGitFile(c.File, []byte(c.Content), c.GoTemplate, c.Prefix)
	case "envsubst":
		return envsubst(c.Text, c.Env), nil
	case "selector":
		return selectParams(c.Selector, c.First)
	}
	return nil, fmt.Errorf("unknown area %s", c.Area)
}

// copied is a deep copy through JSON: mergo changes the maps it merges into.
func copied(sets []map[string]any) []map[string]any {
	var out []map[string]any
	encoded, _ := json.Marshal(sets)
	_ = json.Unmarshal(encoded, &out)
	return out
}

func runGenerators(casesPath, outPath string) error {
	raw, err := os.ReadFile(casesPath)
	if err != nil {
		return err
	}
	var table struct {
		Cases []GeneratorCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		return err
	}
	results := make([]GeneratorResult, 0, len(table.Cases))
	for _, c := range table.Cases {
		output, err := evaluate(c)
		result := GeneratorResult{ID: c.ID}
		if err != nil {
			result.Error = "error"
			result.Message = err.Error()
		} else {
			// Through JSON, as the emulation sees it (map[string]string values included).
			encoded, _ := json.Marshal(output)
			_ = json.Unmarshal(encoded, &result.Output)
			if result.Output == nil {
				result.Output = []any{}
			}
		}
		results = append(results, result)
	}
	written := map[string]any{"versions": moduleVersions(), "results": results}
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(written); err != nil {
		return err
	}
	fmt.Printf("%d generator cases evaluated with %s\n", len(results), moduleVersions()["go"])
	return os.WriteFile(outPath, out.Bytes(), 0o644)
}

// The selector of a generator, as Transform applies it (generator_spec_processor.go):
// LabelSelectorAsSelector, newRequirement and Requirement.Matches are Argo CD's
// (applicationset/utils/selector.go) with apimachinery's types written out here;
// isQualifiedName transcribes apimachinery's validation.IsQualifiedName (that module is
// not among the ones this program builds with).
var (
	qualifiedName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsSubdomain  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func isQualifiedName(value string) bool {
	parts := strings.Split(value, "/")
	name := parts[0]
	switch len(parts) {
	case 1:
	case 2:
		if len(parts[0]) == 0 || len(parts[0]) > 253 || !dnsSubdomain.MatchString(parts[0]) {
			return false
		}
		name = parts[1]
	default:
		return false
	}
	return len(name) > 0 && len(name) <= 63 && qualifiedName.MatchString(name)
}

type requirement struct {
	key       string
	operator  string
	strValues []string
}

func newRequirement(key string, op string, vals []string) (*requirement, error) {
	var errs []string
	if !isQualifiedName(key) {
		errs = append(errs, fmt.Sprintf("key: Invalid value: %q", key))
	}
	switch op {
	case "in", "notin":
		if len(vals) == 0 {
			errs = append(errs, "values: Invalid value: for 'in', 'notin' operators, values set can't be empty")
		}
	case "=", "==", "!=":
		if len(vals) != 1 {
			errs = append(errs, "values: Invalid value: exact-match compatibility requires one single value")
		}
	case "exists", "!":
		if len(vals) != 0 {
			errs = append(errs, "values: Invalid value: values set must be empty for exists and does not exist")
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, ", "))
	}
	return &requirement{key: key, operator: op, strValues: vals}, nil
}

func (r *requirement) matches(ls map[string]string) bool {
	value, has := ls[r.key]
	switch r.operator {
	case "in", "=", "==":
		return has && slicesContain(r.strValues, value)
	case "notin", "!=":
		return !has || !slicesContain(r.strValues, value)
	case "exists":
		return has
	case "!":
		return !has
	}
	return false
}

func slicesContain(values []string, value string) bool {
	for _, v := range values {
		if v == value {
			return true
		}
	}
	return false
}

func labelSelectorAsSelector(ps *LabelSelector) ([]*requirement, bool, error) {
	if ps == nil || len(ps.MatchLabels)+len(ps.MatchExpressions) == 0 {
		return nil, true, nil
	}
	var requirements []*requirement
	for k, v := range ps.MatchLabels {
		r, err := newRequirement(k, "=", []string{v})
		if err != nil {
			return nil, false, err
		}
		requirements = append(requirements, r)
	}
	for _, expr := range ps.MatchExpressions {
		var op string
		switch expr.Operator {
		case "In":
			op = "in"
		case "NotIn":
			op = "notin"
		case "Exists":
			op = "exists"
		case "DoesNotExist":
			op = "!"
		default:
			return nil, false, fmt.Errorf("%q is not a valid pod selector operator", expr.Operator)
		}
		r, err := newRequirement(expr.Key, op, append([]string(nil), expr.Values...))
		if err != nil {
			return nil, false, err
		}
		requirements = append(requirements, r)
	}
	return requirements, false, nil
}

// selectParams: Transform's filter, flattenParameters included (normalizeMapForFlatten
// left out: JSON parameters hold no map[string]string).
func selectParams(selector *LabelSelector, params []map[string]any) ([]map[string]any, error) {
	requirements, _, err := labelSelectorAsSelector(selector)
	if err != nil {
		return nil, fmt.Errorf("error parsing label selector: %w", err)
	}
	res := []map[string]any{}
	for _, param := range params {
		flat, err := flatten.Flatten(param, "", flatten.DotStyle)
		if err != nil {
			return nil, err
		}
		labels := map[string]string{}
		for k, v := range flat {
			labels[k] = fmt.Sprintf("%v", v)
		}
		keep := true
		for _, r := range requirements {
			if !r.matches(labels) {
				keep = false
				break
			}
		}
		if keep {
			res = append(res, param)
		}
	}
	return res, nil
}
