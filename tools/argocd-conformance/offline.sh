#!/bin/sh
# Build and run the generator without the Go module proxy: every module's
# source already unpacked under $1 (one folder per module, names below).
# Usage: ./offline.sh /path/to/sources [generator flags]
set -eu
src=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
modfile=$(mktemp -d)/go.mod
cp "$here/go.mod" "$modfile"
while read -r module folder; do
	echo "replace $module => $src/$folder" >>"$modfile"
done <<'MODULES'
dario.cat/mergo mergo
github.com/Masterminds/goutils goutils
github.com/Masterminds/semver/v3 semver
github.com/Masterminds/sprig/v3 sprig
github.com/google/uuid uuid
github.com/gosimple/slug slug
github.com/gosimple/unidecode unidecode
github.com/huandu/xstrings xstrings
github.com/jeremywohl/flatten flatten
github.com/mitchellh/copystructure copystructure
github.com/mitchellh/reflectwalk reflectwalk
github.com/shopspring/decimal decimal
github.com/spf13/cast cast
github.com/valyala/bytebufferpool bytebufferpool
github.com/valyala/fasttemplate fasttemplate
go.yaml.in/yaml/v2 yamlv2
go.yaml.in/yaml/v3 yamlv3
golang.org/x/crypto crypto
sigs.k8s.io/yaml k8syaml
MODULES
# A module without a go.mod of its own (goutils v1.1.1) gets one, as the proxy would.
[ -f "$src/goutils/go.mod" ] || echo 'module github.com/Masterminds/goutils' >"$src/goutils/go.mod"
[ -f "$src/bytebufferpool/go.mod" ] || echo 'module github.com/valyala/bytebufferpool' >"$src/bytebufferpool/go.mod"
cd "$here"
GOFLAGS=-mod=mod GOPROXY=off GONOSUMDB='*' GONOSUMCHECK=1 GOSUMDB=off GOTOOLCHAIN=local \
	go run -modfile="$modfile" . "$@"
