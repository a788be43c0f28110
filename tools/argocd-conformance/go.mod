module github.com/pytest-k8s-overlays/argocd-conformance

// Argo CD builds with a newer Go (see README.md); 1.24 is the newest Debian offers.
go 1.24

// The versions Argo CD's go.mod pins (Argo CD master, August 2026).
require (
	dario.cat/mergo v1.0.2
	github.com/Masterminds/goutils v1.1.1
	github.com/Masterminds/semver/v3 v3.4.0
	github.com/Masterminds/sprig/v3 v3.3.0
	github.com/google/uuid v1.6.1-0.20241114170450-2d3c2a9cc518
	github.com/gosimple/slug v1.15.0
	github.com/gosimple/unidecode v1.0.1
	github.com/huandu/xstrings v1.5.0
	github.com/jeremywohl/flatten v1.0.2-0.20211013061545-07e4a09fb8e4
	github.com/mitchellh/copystructure v1.2.0
	github.com/mitchellh/reflectwalk v1.0.2
	github.com/shopspring/decimal v1.4.0
	github.com/spf13/cast v1.7.1
	github.com/valyala/bytebufferpool v1.0.0
	github.com/valyala/fasttemplate v1.2.2
	go.yaml.in/yaml/v2 v2.4.4
	golang.org/x/crypto v0.31.0
	sigs.k8s.io/yaml v1.6.0
)
